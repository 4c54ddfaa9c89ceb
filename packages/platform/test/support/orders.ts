const at = '2026-11-28T10:00:00.000Z';

/** A valid order of the ecommerce solution (its totals add up). */
export function order(i: number, lines = 2) {
  const address = {
    id: `a${i}`,
    address1: `${i} High Street`,
    city: 'Leeds',
    country: 'GB',
    postCode: 'LS1 1AA',
    telephone1: '0113 496 0000',
    timestamp: at,
  };
  const orderLines = Array.from({ length: lines }, (_, l) => ({
    productId: `p${l + 1}`,
    quantity: l + 1,
    unitPrice: 10,
    tax: 20,
  }));
  const totalNet = orderLines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0);
  const totalTax = totalNet * 0.2;
  return {
    id: `o${i}`,
    orderDate: at,
    deliveryAddress: address,
    invoiceAddress: address,
    customer: {
      id: `c${i}`,
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: `ada${i}@example.com`,
      addresses: [address],
      timestamp: at,
    },
    discount: 0,
    currencyRate: 1,
    paymentMethod: 'card',
    totalShipping: 0,
    currency: 'GBP',
    lines: orderLines,
    totalNet,
    totalTax,
    total: totalNet + totalTax,
  };
}

/** One result per order: accepted with a document number, or rejected with a reason. */
export function orderResult(id: string, accepted: boolean) {
  return accepted
    ? { id, outcome: 'accepted' as const, documentNumber: `SO-${id}` }
    : {
        id,
        outcome: 'rejected' as const,
        reasons: [{ code: 'insufficient-stock' as const, message: 'not enough stock of p1' }],
      };
}
