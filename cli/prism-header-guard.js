'use strict';
// Loaded into Prism's process with --require. Prism copies request-validation messages,
// which quote the client's JSON property names, into an `sl-violations` header; Node
// refuses header values with characters above U+00FF (or control characters) by throwing,
// and the throw escapes Prism and ends the process. Escaping such characters keeps the
// header (as JSON-style \uXXXX escapes) and the mock alive, whatever a client sends.
const { OutgoingMessage } = require('node:http');

const INVALID_HEADER_CHAR = /[^\t\x20-\x7e\x80-\xff]/g;

function escapeHeaderValue(value) {
  if (typeof value === 'string') {
    return value.replace(INVALID_HEADER_CHAR, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  if (Array.isArray(value)) return value.map(escapeHeaderValue);
  return value;
}

const setHeader = OutgoingMessage.prototype.setHeader;
OutgoingMessage.prototype.setHeader = function setHeaderEscaped(name, value) {
  return setHeader.call(this, name, escapeHeaderValue(value));
};
