module.exports = () => globalThis.lastmileSandbox.close();
