import { request as httpRequest } from 'node:http';

import { BusinessEndpoint } from './businessEndpoint';
import { waitFor } from './waitFor';

describe('recording business endpoint', () => {
	let endpoint: BusinessEndpoint;

	const call = async (eventId: string) => {
		const response = await fetch(endpoint.url, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ eventId }),
		});
		return response.status;
	};

	afterEach(async () => await endpoint.close());

	it('fails the first tries an event is given, then counts each success', async () => {
		endpoint = await BusinessEndpoint.start({ failingTries: (id) => (id === 'flaky' ? 2 : 0) });

		const statuses = [
			await call('flaky'),
			await call('flaky'),
			await call('flaky'),
			await call('plain'),
		];

		expect(statuses).toEqual([500, 500, 200, 200]);
		expect([endpoint.tries('flaky'), endpoint.successes('flaky')]).toEqual([3, 1]);
		expect(Object.fromEntries(endpoint.successCounts())).toEqual({ flaky: 1, plain: 1 });
	});

	it("always fails a poison event, and a bug's events until it is fixed", async () => {
		endpoint = await BusinessEndpoint.start({ poison: ['poison'] });
		endpoint.introduceBug((id) => id.startsWith('bug'));

		const whileBuggy = [await call('poison'), await call('bug-1'), await call('fine')];
		endpoint.fix();
		const afterFix = [await call('poison'), await call('bug-1')];

		expect(whileBuggy).toEqual([500, 500, 200]);
		expect(afterFix).toEqual([500, 200]);
		expect(endpoint.successes('poison')).toBe(0);
	});

	it('holds calls until resumed, and counts a held call whose caller hung up as dropped', async () => {
		endpoint = await BusinessEndpoint.start();
		endpoint.hold((id) => id !== 'passes');
		const answered = call('waits');
		expect(await call('passes')).toBe(200);
		const hungUp = httpRequest(endpoint.url, { method: 'POST' });
		hungUp.on('error', () => undefined);
		hungUp.end(JSON.stringify({ eventId: 'caller-died' }));
		await waitFor('two held calls', () => endpoint.held.length === 2, 5_000);
		hungUp.destroy();
		await waitFor('the hang-up to be seen', () => endpoint.held.some((held) => held.gone), 5_000);

		endpoint.resume();

		expect(await answered).toBe(200);
		expect(endpoint.dropped).toEqual(['caller-died']);
		expect(endpoint.successes('caller-died')).toBe(0);
		expect(endpoint.held).toEqual([]);
	});

	it("holds an event's call until a later call of it succeeded, then answers it too", async () => {
		endpoint = await BusinessEndpoint.start();
		endpoint.overtake('slow');

		const first = call('slow');
		await waitFor('the first call to be held', () => endpoint.isOvertakenCallHeld('slow'), 5_000);
		const second = await call('slow');

		expect(second).toBe(200);
		expect(await first).toBe(200);
		expect(endpoint.isOvertakenCallHeld('slow')).toBe(false);
		expect(endpoint.successes('slow')).toBe(2);
	});
});
