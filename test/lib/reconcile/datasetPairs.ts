import fc from 'fast-check';

/**
 * Two inputs to compare: A, and B made of A's records copied (some edited: one of `editable`
 * fields set to another `value`) mixed with new records, so pairs, differences and records on one
 * side only all come up.
 */
export function datasetPairs(
	record: fc.Arbitrary<object>,
	edit: { editable: string[]; value: fc.Arbitrary<unknown> },
	maxLength: number,
): fc.Arbitrary<[object[], object[]]> {
	return fc.array(record, { maxLength }).chain((a) =>
		fc
			.array(
				a.length === 0
					? record
					: fc.oneof(
							record,
							fc.nat(a.length - 1).map((index) => ({ ...a[index] })),
							fc
								.tuple(fc.nat(a.length - 1), fc.constantFrom(...edit.editable), edit.value)
								.map(([index, field, changed]) => ({ ...a[index], [field]: changed })),
						),
				{ maxLength },
			)
			.map((b): [object[], object[]] => [a, b]),
	);
}
