// Package repair finds the JSON in a language model's answer, repairs
// what is broken in it and, given a schema, coerces values to the types
// the schema asks for — locally, without another model call — and records
// every change it makes as a Fix. It never invents data: it does not fill
// missing fields, guess between alternatives or close an answer that was
// cut off.
//
// # Which function
//
// The re-ask loop calls Parse: it needs the decoded value to validate it.
// Repair returns the repaired text only; without a schema it skips
// decoding valid input, and `reask repair` uses it. Coerce applies the
// schema-guided coercion alone to a value already decoded.
//
// # What is repaired
//
// Valid JSON takes a strict fast path (one scan, faster than
// encoding/json.Valid) and comes back exactly as written. Anything else is
// read by a lenient single-pass parser that builds the value as a tree of
// nodes pointing back into the input, and writes the output once:
//
//   - where the JSON is: Markdown fences (any case, any language tag),
//     prose before and after, several values in one answer (the one valid
//     against the schema is chosen, else the largest), JSONP and MongoDB
//     wrappers, a document inside a JSON string or written with escaped
//     quotes;
//   - strings: single, smart and back quotes, unquoted keys and values
//     (words{in brackets} too), quotes inside strings (a quotation in a
//     sentence stays text — "lorem "ipsum", sic." — and so does an object
//     literal or a link quoted in one: "is {"a": 1}, so"), a forgotten
//     opening or closing quote (a key's ends at its colon; an unquoted
//     value with commas runs to its closing quote), a stray or doubled
//     quote (""CSV-style""), raw line breaks and control characters,
//     invalid escapes (kept as text: \d becomes \\d, a Windows path stays
//     a path), invalid UTF-8 (replaced by U+FFFD), "a" + "b";
//   - numbers and literals: NaN and Infinity (null), True, False and None,
//     TRUE and Null, undefined, .5, +1, 1_000, Python tuples and sets
//     ({'a', 'b'} is the array ["a", "b"]); things that look like numbers
//     but are not (0.0.1, 2024-01-02, 0789) become strings;
//   - structure: // and /* */ and # comments, trailing, leading and doubled
//     commas, missing commas and colons, a stray colon ({:}), a missing
//     value (null), stray words between members, brackets left open
//     before their parent closes or a closing fence, mismatched and extra
//     closing brackets, an array closed too early and continued where a
//     key belongs ({"a": [1], [2]} is {"a": [1, 2]}; a table's row that
//     lost its opening bracket is gathered back), "..." for omitted
//     elements.
//
// Each repair is one Fix: its kind, the JSON Pointer of the value, the byte
// offset in the input and short before and after excerpts. Fixes inside a
// document that was double-encoded or escaped have offsets into the
// decoded text.
//
// # What is refused
//
// Input that ends inside a string, array or object is truncated: Parse
// returns ErrTruncated (a *TruncatedError naming what was left open, with
// the part that was read) instead of closing it, because a silently
// shortened answer looks complete. Text with no JSON in it gives ErrNoJSON
// (an empty Markdown code block too: two or more backticks open Markdown,
// never a back-quoted string: two backticks, or six, are not "");
// JSON broken beyond these repairs gives a *SyntaxError whose message
// names the line and column and quotes the text around them, ready to be
// fed back to the model.
//
// # Limits
//
// The work is linear in the input: every byte is read a bounded number of
// times, whatever the input (see hostile_test.go). So is the memory: among
// the values a text holds, only those the choice can still fall on keep
// their nodes and fixes, and a repair allocates less than 20 times its
// input plus about 150 bytes per fix it holds (see memory_test.go). Input
// longer than Options.MaxBytes (16 MiB by default) fails with ErrTooLarge
// before any work; nesting deeper than Options.MaxDepth (512 by default,
// at most MaxDepthCeiling) fails with ErrTooDeep; a text that needs more
// fixes than Options.MaxFixes (262,144 by default) fails with
// ErrTooManyFixes. Parse never panics.
//
// The conformance of the parser with the public test suites of other
// repair libraries, and each deliberate difference, are in
// testdata/corpus-differences.md.
package repair
