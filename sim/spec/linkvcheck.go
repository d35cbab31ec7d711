package spec

import (
	"maps"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/glomers/glomers/sim"
)

// The lin-kv checker: linearizable-register's independent/checker of
// checker/linearizable with Knossos's cas-register model, on
// github.com/anishathalye/porcupine instead of Knossos.
//
// Each key's operations are checked on their own (independent's
// subhistory), against a compare-and-set register that starts empty
// (null):
//
//   - a fail completion certainly did not happen: the operation is left
//     out, as Knossos leaves :fail ops out;
//   - an ok one happened between its invocation and its completion;
//   - an indeterminate (info) write or cas may have happened at any
//     moment after its invocation, or never: it never completes (its
//     return is after everything), so it may take effect anywhere after
//     its invocation or, placed after every other operation, not at all;
//     an info cas whose from does not match where it is placed changes
//     nothing, as if it had failed;
//   - an info read constrains nothing (Knossos's read of nil) and is left
//     out.
//
// As in Knossos's model, an ok read that returned null matches any state;
// the simulator reports the ones that followed a completed write or cas of
// their key apart (strict "null-read"), since nothing removes a key.
//
// Operations are ordered by the history's event numbers, Jepsen's history
// order, so that a completion and an invocation at one virtual instant are
// ordered as they happened rather than overlapping.

// linKVCall is what porcupine's model steps on: the operation, and
// whether it is indeterminate. The output is the Read of an ok read and nil
// otherwise.
type linKVCall struct {
	F    string
	Arg  linKV
	Info bool
}

// linKVNull is the register's state before any write: JSON null.
const linKVNull = "null"

// linKVModel is Knossos's cas-register as a porcupine model over one key;
// the state is the canonical JSON of the register's value. h lets the
// visualisation describe each operation (its Metadata is its index in h).
func linKVModel(h sim.History) porcupine.Model {
	return porcupine.Model{
		Init: func() any { return linKVNull },
		Step: func(state, input, output any) (bool, any) {
			st, in := state.(string), input.(linKVCall)
			switch in.F {
			case "write":
				return true, strconv.FormatInt(in.Arg.Value, 10)
			case "cas":
				if st == strconv.FormatInt(in.Arg.From, 10) {
					return true, strconv.FormatInt(in.Arg.To, 10)
				}
				return in.Info, st
			}
			read, _ := output.(string)
			return read == linKVNull || read == st, st
		},
		DescribeOperation: func(input, output any) string {
			in := input.(linKVCall)
			s := in.F + " " + in.Arg.tuple(in.F)
			if in.F == "read" {
				s = "read " + output.(string)
			}
			if in.Info {
				s += " (indeterminate)"
			}
			return s
		},
		DescribeState: func(state any) string { return state.(string) },
		DescribeOperationMetadata: func(meta any) string {
			if i, ok := meta.(int); ok && i >= 0 && i < len(h) {
				return describe(h[i]).String()
			}
			return ""
		},
	}
}

// linKVKey is one key's check.
type linKVKey struct {
	key     int64
	ops     []porcupine.Operation
	result  porcupine.CheckResult
	info    porcupine.LinearizationInfo
	nullers []int // ok null reads after a completed write or cas (indices in h)
}

// Checker implements sim.Spec: porcupine needs each key's whole history.
func (s *linKVSpec) Checker() sim.Checker { return sim.WholeHistory(s.check) }

// check judges a whole lin-kv history: every key's must be linearizable.
// Keys are checked in parallel, each within keyTimeout; a key whose search
// runs out of time makes the run unknown (stats "unknown-keys") unless
// another is not linearizable. Each key that is not linearizable is one
// "nonlinearizable" anomaly naming the first few operations no
// linearization reaches (its Ops) and the HTML file where porcupine draws
// its history and longest partial linearizations.
func (s *linKVSpec) check(h sim.History) sim.Result {
	v := newVerdict()
	byKey := map[int64]*linKVKey{}
	var ok, fail, info int
	for i, op := range h {
		val, isKV := op.Value.(linKV)
		if !isKV {
			v.add("malformed-op", "%s has value %v (%T), not a lin-kv tuple", describe(op), op.Value, op.Value)
			continue
		}
		k := byKey[val.Key]
		if k == nil {
			k = &linKVKey{key: val.Key}
			byKey[val.Key] = k
		}
		switch op.Status {
		case sim.Fail:
			fail++
			continue
		case sim.Info:
			info++
			if op.F == "read" {
				continue
			}
		default:
			ok++
		}
		call := linKVCall{F: op.F, Arg: val, Info: op.Status == sim.Info}
		var out any
		ret := int64(op.CompleteEvent)
		if call.Info {
			ret = math.MaxInt64
		} else if op.F == "read" {
			read, _ := op.Out.(linKV)
			out = read.Read
		}
		k.ops = append(k.ops, porcupine.Operation{Input: call, Call: int64(op.InvokeEvent), Output: out, Return: ret, Metadata: i})
	}
	keys := slices.Sorted(maps.Keys(byKey))
	model := linKVModel(h)
	work := make(chan *linKVKey)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(keys), 1)) {
		wg.Go(func() {
			for k := range work {
				k.check(model, h, s.keyTimeout)
			}
		})
	}
	for _, key := range keys {
		work <- byKey[key]
	}
	close(work)
	wg.Wait()

	var bad, unknown []int64
	for _, key := range keys {
		k := byKey[key]
		for _, i := range k.nullers {
			v.addStrict("null-read", "key %d: %s read null after a write or cas of the key had completed", key, describe(h[i]))
		}
		switch k.result {
		case porcupine.Illegal:
			bad = append(bad, key)
			format, args := s.explain(model, h, k)
			v.add("nonlinearizable", format, args...)
		case porcupine.Unknown:
			unknown = append(unknown, key)
			v.unknown = true
		}
	}
	v.stats["keys"] = len(keys)
	v.stats["ok-ops"], v.stats["fail-ops"], v.stats["info-ops"] = ok, fail, info
	v.stats["nonlinearizable-keys"] = nonNil(bad)
	v.stats["unknown-keys"] = nonNil(unknown)
	return v.result()
}

func nonNil(keys []int64) []int64 {
	if keys == nil {
		return []int64{}
	}
	return keys
}

// check runs porcupine on the key's operations and looks for null reads
// that follow a completed write or cas.
func (k *linKVKey) check(model porcupine.Model, h sim.History, timeout time.Duration) {
	k.result, k.info = porcupine.CheckOperationsVerbose(model, k.ops, timeout)
	written := math.MaxInt64 // the first completion of an ok write or cas
	for _, o := range k.ops {
		if in := o.Input.(linKVCall); !in.Info && in.F != "read" {
			written = min(written, int(o.Return))
		}
	}
	for _, o := range k.ops {
		if read, _ := o.Output.(string); read == linKVNull && o.Call > int64(written) {
			k.nullers = append(k.nullers, o.Metadata.(int))
		}
	}
}

// explain describes a key that is not linearizable, as a format and its
// arguments for the verdict (the operations it names, the first few that
// no linearization reaches, among them), and writes its visualisation.
func (s *linKVSpec) explain(model porcupine.Model, h sim.History, k *linKVKey) (string, []any) {
	var b strings.Builder
	infos := 0
	for _, o := range k.ops {
		if o.Input.(linKVCall).Info {
			infos++
		}
	}
	b.WriteString("key %d: no linearization of its %d operations (%d indeterminate)")
	args := []any{k.key, len(k.ops), infos}
	// Operations in no partial linearization are those the search never
	// got past; the longest partial linearization is how far it got.
	reached := map[int]bool{}
	longest := 0
	for _, part := range k.info.PartialLinearizationsOperations() {
		for _, lin := range part {
			longest = max(longest, len(lin))
			for _, o := range lin {
				reached[o.Metadata.(int)] = true
			}
		}
	}
	var stuck []int
	for _, o := range k.ops {
		if i := o.Metadata.(int); !reached[i] {
			stuck = append(stuck, i)
		}
	}
	b.WriteString("; the longest linearizable prefix has %d")
	args = append(args, longest)
	if len(stuck) > 0 {
		b.WriteString("; %d no linearization reaches, first:")
		args = append(args, len(stuck))
		for _, i := range stuck[:min(3, len(stuck))] {
			b.WriteString(" %s %s;")
			args = append(args, describe(h[i]), linKVOut(h[i]))
		}
	} else {
		b.WriteString(";")
	}
	f, err := s.visualization(k.key)
	if err == nil {
		err = porcupine.Visualize(model, k.info, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		b.WriteString(" no visualisation: %v")
		args = append(args, err)
	} else {
		b.WriteString(" visualisation: %s")
		args = append(args, f.Name())
	}
	return b.String(), args
}

// linKVOut is an operation's value as Jepsen prints it: the completion's
// for ok reads, the invocation's otherwise.
func linKVOut(op sim.Op) string {
	v, _ := op.Value.(linKV)
	if out, ok := op.Out.(linKV); ok && op.F == "read" && op.Status == sim.OK {
		v = out
	}
	return v.tuple(op.F)
}
