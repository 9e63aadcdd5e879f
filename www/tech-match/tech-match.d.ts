// Declarations of <tech-match> for portal developers: the element's attributes, methods, properties
// and events. The engine's request and answer types come from the WASM engine's declarations
// (pkg/techmatch.d.ts, generated from the Rust types).
import type { MatchHit, PublicRecord, SearchResponse, Took } from "./pkg/techmatch.js";

export type { Hit, MatchHit, PublicRecord, Reason, SearchRequest, SearchResponse } from "./pkg/techmatch.js";

/** One shortlisted candidate, as `shortlist` and the CSV export give it. */
export interface ShortlistEntry {
  id: string;
  kind: "need" | "challenge" | "result";
  title: string;
  /** The id of the record it was found for, when it was added from a match list. */
  for?: string;
  score?: number;
  /** The match reasons in plain words, in the interface language. */
  reasons: string[];
  note: string;
  /** When it was added (ISO 8601). */
  added: string;
}

/** A search the broker saved, with the records new since the last look at it. */
export interface SavedSearch {
  label: string;
  search: { q: string; filters: Record<string, string[]>; trlMin?: number; trlMax?: number; open?: boolean };
  /** null until the engine has counted. */
  newCount: number | null;
}

export interface TechMatchSelectDetail {
  id: string;
  record: PublicRecord;
}
export interface TechMatchShortlistDetail {
  shortlist: ShortlistEntry[];
}
export interface TechMatchErrorDetail {
  error: Error;
  message: string;
  /** Where it happened: "load", "search", "match", "saved", "shortlist", … */
  phase: string;
}
/** Fired by "我要对接 / Contact": the portal answers with its own form; the widget does nothing else. */
export interface TechMatchContactDetail {
  id: string;
  kind: "need" | "challenge" | "result";
  title: string;
  /** For a match: the id of the record it was found for. */
  for?: string;
}

export interface TechMatchEventMap extends HTMLElementEventMap {
  "tm-select": CustomEvent<TechMatchSelectDetail>;
  "tm-shortlist-change": CustomEvent<TechMatchShortlistDetail>;
  "tm-error": CustomEvent<TechMatchErrorDetail>;
  "tm-contact": CustomEvent<TechMatchContactDetail>;
}

/**
 * `<tech-match src="techmatch.bundle" lang="zh" mode="both">`. Attributes: `src` (the bundle,
 * relative to the page), `lang` (`zh` | `en`), `mode` (`needs` | `results` | `both`), `page-size`
 * (1–100), `open-only`, `loading` (`auto` | `lazy` | `whole`), `portal-name` (heads the printed
 * recommendation).
 */
export declare class TechMatch extends HTMLElement {
  static observedAttributes: string[];
  /** Runs a search for `q`, keeping the filters; resolves with the engine's answer. */
  search(q?: string): Promise<(SearchResponse & Took) | null>;
  /** Opens record `id` and its matches; resolves with the match hits. */
  matchFor(id: string): Promise<MatchHit[] | null>;
  /** The shortlist (a copy). */
  readonly shortlist: ShortlistEntry[];
  /** Saved searches with their new-record counts. */
  readonly savedSearches: SavedSearch[];
  /** The shortlist as CSV text: UTF-8 BOM, CRLF lines, formula cells neutralised. */
  shortlistCsv(): string;
  /** Downloads the shortlist as techmatch-shortlist-YYYY-MM-DD.csv. */
  exportShortlist(): void;

  addEventListener<K extends keyof TechMatchEventMap>(
    type: K,
    listener: (this: TechMatch, ev: TechMatchEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ): void;
  removeEventListener<K extends keyof TechMatchEventMap>(
    type: K,
    listener: (this: TechMatch, ev: TechMatchEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | EventListenerOptions,
  ): void;
}

declare global {
  interface HTMLElementTagNameMap {
    "tech-match": TechMatch;
  }
}
