/** `shipshape diff` exits with this when something would change (docs/exit-codes.md). */
export const DIFF_CHANGES_EXIT = 5;
