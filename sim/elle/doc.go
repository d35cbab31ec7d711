// Package elle is the machinery of Elle 0.1.6 (the transactional checker
// Maelstrom 0.2.3 uses through Jepsen 0.3.1) that does not depend on the
// data model: transaction histories, dependency graphs, cycle search and
// classification, and the consistency models. The data-model parts build
// on it: the rw-register checker (package sim/spec/txn) infers its version
// orders and ww, wr and rw edges itself, and ListAppendAnomalies (used by
// package sim/spec/appendtxn) infers them from list reads.
//
// # Pieces
//
//   - Case: one instance of an anomaly, which String describes and
//     Involved names by its transactions' Index.
//   - History and Op: transactions with their process, thread, outcome
//     (OK, Fail, Info), invocation and completion times, and micro-ops
//     (Mop, values as canonical JSON text). ExtReads and ExtWrites are
//     Jepsen's external reads and writes of a transaction.
//   - Graph: edges between transactions, each a set of Kinds (WW, WR, RW,
//     Process, Realtime). LinkRealtime and LinkProcess add Elle's real-time
//     and process orders; SCCs is Tarjan's algorithm.
//   - FindCycles: one example cycle per anomaly type per strongly connected
//     component, classified as Elle's cycle explainer does (Classify): G0,
//     G1c, G-single, G-nonadjacent, G2-item, each also -process and
//     -realtime. An edge counts as the first of its relationships in the
//     workload's Priority, as Elle's combined explainer picks the first
//     explainer that can justify a pair. The search of a component has a
//     budget; when it runs out the component yields cycle-search-timeout
//     and a fallback cycle, as Elle's does on its timeout.
//   - Expectation: the consistency models (ProhibitedBy is
//     anomalies-prohibited-by) and what follows from them: the prohibited
//     and reportable anomalies, the order graphs needed, and the verdict
//     (Evaluate is result-map, with Boundary's :not and :also-not).
//   - FailedWrites, IntermediateWrites and LostUpdateCases: the
//     data-model-independent parts of G1a, G1b and lost-update.
//   - WrTxns: Elle's wr-txns generator; AppendTxns its list-append twin
//     (append-txns), and Gen turns either into a gen.Gen (txn/gen).
//   - ListAppendAnomalies: Elle's list-append check (version orders from
//     reads, G1a, G1b, internal, dirty-update, duplicate-elements,
//     incompatible-order, lost-update, and the ww/wr/rw graph's cycles);
//     ModelsExpectation reads the models a run names.
//
// # Differences from Elle
//
// Elle searches each component with a breadth-first search per anomaly
// type from one vertex after another, keeps the first cycle it meets when
// its classification fits, and gives up after a second. FindCycles answers
// the same question exactly and in about linear time (per type: strongly
// connected components of the allowed edges, of their product with a
// one-bit state for G-nonadjacent, and a bitset reachability sweep for
// G-single), so it reports a type whenever a cycle of that type exists;
// Elle can miss one when its first cycle does not fit or time runs out.
// The budget is counted in work, not time, so a verdict does not depend on
// the machine. Cycles are closed walks, as Elle's are.
package elle
