import cloneDeep from 'lodash/cloneDeep';
import get from 'lodash/get';
import isEmpty from 'lodash/isEmpty';
import isEqual from 'lodash/isEqual';
import omit from 'lodash/omit';
import union from 'lodash/union';
import unset from 'lodash/unset';

import { ReconcileError } from './ReconcileError';
import { agreeingFields } from './agreeingFields';
import { fuzzyEquals } from './fuzzyEquals';
import { fuzzyBucket, strictBucket, type Bucket } from './matchBucket';
import { mixRecords } from './mixRecords';

/** A field of input A that must equal a field of input B for two records to pair. */
export interface KeyPair {
	a: string;
	b: string;
}

export interface CompareInputsOptions {
	keys: KeyPair[];
	/** Fields left out when deciding same or different; dotted paths reach into objects. */
	skipFields?: string[];
	/** Compare Datasets' Fuzzy Compare: 3 = '3', null = '' = [], true = 'true', ... */
	fuzzy?: boolean;
	/** Compare Datasets' "When There Are Differences"; decides which pairs can fail and, with mix, what later pairs see. */
	resolve?: 'preferA' | 'preferB' | 'mix' | 'includeBoth';
	/** With resolve 'mix': whose record wins (default A) and the fields taken from the other one. */
	mix?: { prefer?: 'a' | 'b'; except?: string[] };
	/** 'first' pairs a record of A with the first match in B only; 'all' with every match. */
	multipleMatches?: 'first' | 'all';
	/** Field names are taken literally: `a.b` is a field named so, not b inside a. */
	disableDotNotation?: boolean;
}

/** Indices into the inputs, in Compare Datasets' output order. */
export interface CompareInputsResult {
	inAOnly: number[];
	inBOnly: number[];
	/** One pair per record of A: its first match that is the same. */
	same: Array<[number, number]>;
	/** Every match that is not the same, with the top-level fields that differ (skipped ones left out). */
	different: Array<{ a: number; b: number; fields: string[] }>;
	/**
	 * With resolve 'mix': the preferred records the mix wrote to, by index, as the last pair left
	 * them. Compare Datasets outputs that record itself wherever it appears, so a caller shows these.
	 */
	mixed?: { a: ReadonlyMap<number, object>; b: ReadonlyMap<number, object> };
}

type Json = Record<string, unknown>;

/**
 * Compare Datasets (n8n-nodes-base, node version 2.3) on plain records, in O(|A| + |B|): B is
 * indexed once by its key values instead of being scanned once per record of A. Records without
 * fields are ignored as that node ignores them. A record of A whose key has no value is in A only.
 * Each record of A pairs with the first record of B whose key fields equal its own (or with every
 * one, `multipleMatches: 'all'`); later copies of a key in B stay unpaired (in B only), while
 * copies in A all pair with the same record of B.
 */
export function compareInputs(
	a: readonly object[],
	b: readonly object[],
	options: CompareInputsOptions,
): CompareInputsResult {
	const settings = settle(options);
	const index = indexB(b, settings);
	const comparer = new PairComparer(a, b, settings);
	const result: CompareInputsResult = { inAOnly: [], inBOnly: [], same: [], different: [] };
	const paired = new Uint8Array(b.length);

	a.forEach((record, i) => {
		if (isEmpty(record)) return;
		const matches = findMatches(record, b, index, settings);
		if (matches.length === 0) {
			result.inAOnly.push(i);
			return;
		}
		let sameFound = false;
		for (const j of matches) {
			paired[j] = 1;
			const fields = comparer.compare(i, j);
			if (fields === undefined) {
				if (!sameFound) result.same.push([i, j]);
				sameFound = true;
			} else {
				result.different.push({ a: i, b: j, fields });
			}
		}
	});
	b.forEach((record, j) => {
		if (paired[j] === 0 && !isEmpty(record)) result.inBOnly.push(j);
	});
	if (settings.resolve === 'mix') result.mixed = comparer.mixed();
	return result;
}

interface Settings {
	/** [field of A, field of B]; later pairs naming the same field of B replace earlier ones. */
	pairs: Array<[string, string]>;
	skip: string[];
	dottedSkip: boolean;
	/** Every field to skip is one key to lodash (`omit` reads `a[0]` as a path). */
	plainSkip: boolean;
	fuzzy: boolean;
	equals: (x: unknown, y: unknown) => boolean;
	bucket: Bucket;
	read: (record: object, field: string) => unknown;
	all: boolean;
	resolve: NonNullable<CompareInputsOptions['resolve']>;
	preferA: boolean;
	except: string[];
	literal: boolean;
}

function settle(options: CompareInputsOptions): Settings {
	const { keys } = options;
	if (!Array.isArray(keys) || keys.length === 0) {
		throw new ReconcileError(
			'At least one pair of key fields is needed to match on',
			'invalidOptions',
		);
	}
	keys.forEach((pair, n) => {
		if (!pair.a || !pair.b) {
			throw new ReconcileError(
				`Key pair ${n + 1} needs both fields, got A '${pair.a ?? ''}' and B '${pair.b ?? ''}'`,
				'invalidOptions',
			);
		}
	});
	const literal = options.disableDotNotation ?? false;
	// Compare Datasets splits an empty "Fields to Skip" into [''], so a field named '' is never compared.
	const skip = options.skipFields?.length ? [...options.skipFields] : [''];
	const dotted = skip.find((field) => field.includes('.'));
	if (literal && dotted !== undefined) {
		throw new ReconcileError(
			`Dot notation is disabled, but the field to skip '${dotted}' contains a dot`,
			'invalidOptions',
		);
	}
	const fuzzy = options.fuzzy ?? false;
	return {
		pairs: effectivePairs(keys),
		skip,
		dottedSkip: dotted !== undefined,
		plainSkip: skip.every((field) => /^\w*$/.test(field)),
		fuzzy,
		equals: fuzzy ? fuzzyEquals : isEqual,
		bucket: fuzzy ? fuzzyBucket : strictBucket,
		read: literal
			? (record, field) => (record as Json)[field]
			: (record, field) => get(record, field),
		all: options.multipleMatches === 'all',
		resolve: options.resolve ?? 'includeBoth',
		preferA: (options.mix?.prefer ?? 'a') === 'a',
		except: options.mix?.except ?? [],
		literal,
	};
}

/**
 * Compare Datasets collects the key of a record of A in an object keyed by the B field: a B field
 * named twice keeps the last A field, and one named `__proto__` never lands in it (matches anything).
 */
function effectivePairs(keys: KeyPair[]): Array<[string, string]> {
	const byB = new Map<string, string>();
	for (const { a, b } of keys) if (b !== '__proto__') byB.set(b, a);
	return [...byB].map(([b, a]) => [a, b]);
}

interface BIndex {
	/** Bucket of the key -> the indices of B in it, ascending (a single index stays unboxed). */
	buckets: Map<string, number | number[]>;
	/** Records of B whose key is not JSON: candidates for every record of A. */
	unbucketed: number[];
}

function indexB(b: readonly object[], settings: Settings): BIndex {
	const buckets = new Map<string, number | number[]>();
	const unbucketed: number[] = [];
	b.forEach((record, j) => {
		if (isEmpty(record)) return;
		const key = bucketKey(
			settings.pairs.map(([, field]) => settings.read(record, field)),
			settings,
		);
		if (key === undefined) {
			unbucketed.push(j);
			return;
		}
		const held = buckets.get(key);
		if (held === undefined) buckets.set(key, j);
		else if (typeof held === 'number') buckets.set(key, [held, j]);
		else held.push(j);
	});
	return { buckets, unbucketed };
}

function bucketKey(values: unknown[], settings: Settings): string | undefined {
	if (values.length === 1) return settings.bucket(values[0]);
	let key = '';
	for (const value of values) {
		const bucket = settings.bucket(value);
		if (bucket === undefined) return undefined;
		key += `${bucket.length}:${bucket}`;
	}
	return key;
}

/** The indices of B the record pairs with, ascending: the first only, or all with 'all'. */
function findMatches(
	record: object,
	b: readonly object[],
	index: BIndex,
	settings: Settings,
): number[] {
	const values = settings.pairs.map(([field]) => settings.read(record, field));
	if (values.some((value) => value === undefined)) return [];
	const matches = (j: number) =>
		!isEmpty(b[j]) &&
		settings.pairs.every(([, field], k) => settings.equals(values[k], settings.read(b[j], field)));
	const key = bucketKey(values, settings);
	const candidates =
		key === undefined ? [b.keys()] : [asList(index.buckets.get(key)), index.unbucketed];
	if (settings.all) return mergeAscending(candidates.map((list) => [...filter(list, matches)]));
	const firsts = candidates.map((list) => first(list, matches)).filter((j) => j !== undefined);
	return firsts.length === 0 ? [] : [Math.min(...firsts)];
}

const asList = (held: number | number[] | undefined): number[] =>
	held === undefined ? [] : typeof held === 'number' ? [held] : held;

function* filter(list: Iterable<number>, keep: (j: number) => boolean): Generator<number> {
	for (const j of list) if (keep(j)) yield j;
}

function first(list: Iterable<number>, keep: (j: number) => boolean): number | undefined {
	for (const j of list) if (keep(j)) return j;
	return undefined;
}

function mergeAscending(lists: number[][]): number[] {
	return lists.length === 1 || lists[1].length === 0
		? lists[0]
		: [...lists[0], ...lists[1]].sort((x, y) => x - y);
}

/**
 * Decides same or different for one pair as Compare Datasets does, including its side effect:
 * with resolve 'mix' it writes the `except` fields into the preferred record, and later pairs of
 * that record compare against the written one. Here the writes go to copies, never to the input.
 */
class PairComparer {
	private readonly written = [new Map<number, Json>(), new Map<number, Json>()];

	constructor(
		private readonly a: readonly object[],
		private readonly b: readonly object[],
		private readonly settings: Settings,
	) {}

	/** undefined when the pair is the same, else the differing top-level fields. */
	compare(i: number, j: number): string[] | undefined {
		const x = this.current(0, i);
		const y = this.current(1, j);
		const [px, py] = [this.withoutSkipped(x), this.withoutSkipped(y)];
		if (this.settings.fuzzy) {
			if (px.keys.every((key) => fuzzyEquals(px.record[key], py.record[key]))) return undefined;
		} else if (strictlyEqual(px, py)) {
			return undefined;
		}
		if (this.settings.resolve === 'includeBoth') this.assertSkippable(x, y, i, j);
		if (this.settings.resolve === 'mix') this.mix(i, j, x, y);
		return differingFields(px, py, this.settings.fuzzy);
	}

	private current(side: 0 | 1, index: number): Json {
		return this.written[side].get(index) ?? ((side === 0 ? this.a : this.b)[index] as Json);
	}

	/**
	 * The record as compared: Compare Datasets' `omit` / `unset` copy, or, for a plain record and
	 * fields to skip that are plain names, the record itself with those keys left out of the view
	 * (the same answer without a copy per pair).
	 */
	private withoutSkipped(record: Json): View {
		const { skip, dottedSkip, plainSkip } = this.settings;
		if (plainSkip && isPlainRecord(record)) {
			const keys = Object.keys(record).filter((key) => !skip.includes(key));
			return { record, keys };
		}
		if (!dottedSkip) return view(omit(record, skip));
		const copy = cloneDeep(record);
		for (const field of skip) unset(copy, field);
		return view(copy);
	}

	/**
	 * Compare Datasets' "Include Both Versions" fails when a differing field has a field to skip
	 * inside it ('meta' with 'meta.ts') but is text, a number or a boolean on either side. Its test
	 * is a plain prefix one, so 'meta' is also hit by 'metadata.ts'.
	 */
	private assertSkippable(x: Json, y: Json, i: number, j: number): void {
		const { skip, dottedSkip, literal } = this.settings;
		if (!dottedSkip || literal) return;
		for (const key of rawDifferingKeys(x, y, this.settings)) {
			if (skip.includes(key)) continue;
			const inside = skip.find((field) => field.startsWith(key) && field.includes('.'));
			if (inside !== undefined && (!isObjectOrNullish(x[key]) || !isObjectOrNullish(y[key]))) {
				throw new ReconcileError(
					`Field '${key}' of A record ${i} or B record ${j} is not an object, so '${inside}' cannot be skipped inside it`,
					'notAnObject',
				);
			}
		}
	}

	private mix(i: number, j: number, x: Json, y: Json): void {
		const { preferA, except, literal } = this.settings;
		const [side, index, target, source] = preferA ? [0, i, x, y] : [1, j, y, x];
		this.written[side].set(
			index,
			mixRecords(target, source, { mix: { except }, disableDotNotation: literal }),
		);
	}

	/** The records written to by the mix, by index, per side. */
	mixed(): NonNullable<CompareInputsResult['mixed']> {
		return { a: this.written[0], b: this.written[1] };
	}
}

/** The fields Compare Datasets' per-field view shows as different, on the records as they are. */
function rawDifferingKeys(x: Json, y: Json, settings: Settings): string[] {
	const { all, same } = agreeingFields(x, y, settings.fuzzy);
	return all.filter((key) => !same.has(key));
}

/** A record as compared: its fields in its own order, the skipped ones left out. */
interface View {
	record: Json;
	keys: string[];
}

const view = (record: Json): View => ({ record, keys: Object.keys(record) });

/** Only asked of fields that are not skipped, so the record itself answers. */
const has = (side: View, key: string): boolean =>
	Object.prototype.propertyIsEnumerable.call(side.record, key);

/** lodash `isEqual` of the two views as objects of their own. */
function strictlyEqual(x: View, y: View): boolean {
	return (
		x.keys.length === y.keys.length &&
		x.keys.every((key) => has(y, key) && isEqual(x.record[key], y.record[key]))
	);
}

/** Top-level fields that differ once the skipped fields are gone; one side only counts, unless fuzzy says blank. */
function differingFields(x: View, y: View, fuzzy: boolean): string[] {
	return union(x.keys, y.keys).filter((key) =>
		fuzzy
			? !fuzzyEquals(x.record[key], y.record[key])
			: !(has(x, key) && has(y, key) && isEqual(x.record[key], y.record[key])),
	);
}

/** No prototype but Object's (nothing inherited for `omit` to copy) and no symbol keys. */
function isPlainRecord(record: Json): boolean {
	const prototype = Object.getPrototypeOf(record);
	return (
		(prototype === Object.prototype || prototype === null) &&
		Object.getOwnPropertySymbols(record).length === 0
	);
}

const isObjectOrNullish = (value: unknown): boolean =>
	value === undefined || typeof value === 'object';
