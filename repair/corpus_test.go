package repair

// corpusDir is where the conformance corpora are, from this directory:
// ../shared/corpora beside the module root.
const corpusDir = "../../shared/corpora"
