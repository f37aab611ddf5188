/** Polls `done` until it holds; tests wait on conditions, never on fixed sleeps. */
export async function waitFor(
	what: string,
	done: () => boolean | Promise<boolean>,
	timeoutMs = 90_000,
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await done())) {
		if (Date.now() > deadline)
			throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}
