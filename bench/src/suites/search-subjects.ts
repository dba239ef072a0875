/** Subjects of `locomo_search_recall_at_5`: reverie's search first, then the baseline it must beat. */
export const SEARCH_SUBJECTS = ["reverie", "bm25"] as const;
