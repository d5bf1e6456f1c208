/** The process exit codes of `llmux`, as the README documents them. */
export const EXIT_OK = 0;
/** A runtime failure: a start-up that failed, a validator run that failed, an unexpected error. */
export const EXIT_FAILURE = 1;
/** Bad usage or an invalid config: the message says what to fix, no stack trace. */
export const EXIT_USAGE = 2;
