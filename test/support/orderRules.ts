import type { ApprovalBranch, ShopOrder } from './mockShopApi';

/**
 * The branch the order-intake templates' approval rules give an order, first match wins (see the
 * templates' "Approval rules" note); Needs Review posts to finance too. Written apart from the
 * template's Switch, so a test compares the workflow with an independent reading of the rules.
 */
export function rulesBranch(order: ShopOrder): ApprovalBranch {
	const { riskRecommendation: risk, total_price: total } = order;
	if (risk === 'CANCEL' || risk === 'INVESTIGATE' || order.customer.orders_count <= 1)
		return 'finance';
	if (total === undefined || order.currency !== 'EUR') return 'finance';
	if (Number(total) >= 500) return 'manager';
	return risk === 'ACCEPT' ? 'auto' : 'finance';
}

/** How often each value occurs. */
export function countBy(values: Array<string | undefined>): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
	return counts;
}
