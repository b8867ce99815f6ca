/** `shipshape diff` exits with this when something would change (docs/exit-codes.md). */
export const DIFF_CHANGES_EXIT = 5;
/** `shipshape diff` exits with this when deploy would refuse a change CloudFormation cannot make in place. */
export const DIFF_REFUSED_EXIT = 4;
