/**
 * The preview passes' root attributes — removing a preview's before it is rewritten, adding
 * them back in canonical order when it is done — are the store format's: lib/store/previews.ts.
 * Re-exported here for the pass's modules.
 */
export { doneFlag, withoutPreviews, withPreviews } from "../store/previews.ts";
