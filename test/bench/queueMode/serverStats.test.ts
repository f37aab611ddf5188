import { callsBetween } from '../../../bench/queueMode/serverStats';

describe('callsBetween', () => {
	it('answers the calls made between two readings, per command and in total', () => {
		const before = new Map([
			['evalsha', 10],
			['hmget', 4],
		]);
		const after = new Map([
			['evalsha', 13],
			['hmget', 4],
			['auth', 1],
		]);

		expect(callsBetween(before, after)).toEqual({ total: 4, byCommand: { evalsha: 3, auth: 1 } });
	});
});
