import { missingOrDifferent } from './flows';

describe('missingOrDifferent', () => {
  const sent = {
    currency_code: 'MXN',
    prices: { order_value: 10 },
    payment: {
      method: 'CASH',
      payment_status: 'PENDING',
      metadata: {
        transaction: [{ type: 'CHARGE', status: 'OK', amount_value: 10, created_at: '2026-11-27T15:02:11Z' }],
      },
    },
  };
  const echoed = (createdAt: string) =>
    structuredClone({
      ...sent,
      payment: {
        ...sent.payment,
        metadata: { transaction: [{ ...sent.payment.metadata.transaction[0], created_at: createdAt }] },
      },
    });

  it('compares a date-time of the schema as the instant it denotes', () => {
    expect(
      missingOrDifferent(sent, echoed('2026-11-27T15:02:11.000000+00:00'), '#/components/schemas/PaymentInfo'),
    ).toEqual([]);
    expect(missingOrDifferent(sent, echoed('2026-11-27T09:02:11-06:00'), '#/components/schemas/PaymentInfo')).toEqual(
      [],
    );
  });

  it('reports another instant, a date-time that is not RFC 3339, and any other difference', () => {
    expect(missingOrDifferent(sent, echoed('2026-11-27T15:02:12Z'), '#/components/schemas/PaymentInfo')).toEqual([
      'payment.metadata.transaction[0].created_at: sent 2026-11-27T15:02:11Z, got 2026-11-27T15:02:12Z (another instant)',
    ]);
    expect(missingOrDifferent(sent, echoed('2026-11-27 15:02:11Z'), '#/components/schemas/PaymentInfo')).toHaveLength(
      1,
    );
    expect(
      missingOrDifferent(
        sent,
        { ...echoed('2026-11-27T15:02:11Z'), currency_code: 'COP' },
        '#/components/schemas/PaymentInfo',
      ),
    ).toEqual(['currency_code: sent "MXN", got "COP"']);
  });

  it('compares text exactly where the schema does not say date-time', () => {
    expect(
      missingOrDifferent(
        { backoffice: { at: '2026-11-27T15:02:11Z' } },
        { backoffice: { at: '2026-11-27T15:02:11.000Z' } },
        '#/components/schemas/ExternalData',
      ),
    ).toHaveLength(1);
  });
});
