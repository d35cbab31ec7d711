package txn

import (
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/glomers/glomers/sim"
)

// finalChunk is how many keys one final read transaction reads.
const finalChunk = 256

// keyPool is the generator state every client of a run shares, as in Elle's
// wr-txns: the keys in rotation, the next value of each key, and every key
// used so far (for the final reads).
type keyPool struct {
	maxTxnLen int
	maxWrites int

	mu      sync.Mutex
	active  []int64         // keys in rotation; index i is picked with weight 2^i
	nextKey int64           // the key that replaces the next retired one
	nextVal map[int64]int64 // next value to write per key; absent means 1
	used    []int64         // keys that appeared in a txn, in order of first use
	seen    map[int64]bool  // the set of used
}

func newKeyPool(keyCount, maxTxnLen, maxWrites int) *keyPool {
	p := &keyPool{
		maxTxnLen: maxTxnLen,
		maxWrites: maxWrites,
		active:    make([]int64, keyCount),
		nextKey:   int64(keyCount),
		nextVal:   map[int64]int64{},
		seen:      map[int64]bool{},
	}
	for i := range p.active {
		p.active[i] = int64(i)
	}
	return p
}

// txn generates one transaction of 1..maxTxnLen micro-ops, each a read or a
// write with even odds. A write takes the key's next value; a key that has
// had maxWrites values is retired and replaced, at its place in the
// distribution, by a fresh key, and the micro-op is drawn again.
func (p *keyPool) txn(r *rand.Rand) []mop {
	p.mu.Lock()
	defer p.mu.Unlock()
	mops := make([]mop, 0, p.maxTxnLen)
	for n := 1 + r.IntN(p.maxTxnLen); len(mops) < n; {
		write := r.IntN(2) == 1
		i := pickExponential(r, len(p.active))
		k := p.active[i]
		if !write {
			mops = append(mops, mop{key: k, null: true})
			p.markUsed(k)
			continue
		}
		v := max(p.nextVal[k], 1)
		if v > int64(p.maxWrites) {
			p.active[i] = p.nextKey
			p.nextKey++
			continue
		}
		p.nextVal[k] = v + 1
		mops = append(mops, mop{write: true, key: k, val: v})
		p.markUsed(k)
	}
	return mops
}

func (p *keyPool) markUsed(k int64) {
	if !p.seen[k] {
		p.seen[k] = true
		p.used = append(p.used, k)
	}
}

// finalReads returns read-only transactions covering every key used so far,
// in key order, finalChunk keys each.
func (p *keyPool) finalReads() [][]mop {
	p.mu.Lock()
	keys := slices.Clone(p.used)
	p.mu.Unlock()
	slices.Sort(keys)
	var txns [][]mop
	for chunk := range slices.Chunk(keys, finalChunk) {
		t := make([]mop, len(chunk))
		for i, k := range chunk {
			t[i] = mop{key: k, null: true}
		}
		txns = append(txns, t)
	}
	return txns
}

// pickExponential returns an index in [0, n) with probability proportional
// to 2^i (Elle's default :exponential key distribution with base 2), by
// walking down from the top index on fair coin flips and starting over if
// it falls off the bottom.
func pickExponential(r *rand.Rand, n int) int {
	for {
		i := n - 1
		for i >= 0 && r.IntN(2) == 0 {
			i--
		}
		if i >= 0 {
			return i
		}
	}
}

// client is one client process's generator.
type client struct {
	pool *keyPool
	r    *rand.Rand
}

// Next implements sim.Client.
func (c *client) Next() sim.Body {
	return request{Type: "txn", Txn: c.pool.txn(c.r)}
}

// Observe implements sim.Client: like Maelstrom's, this generator does not
// depend on outcomes.
func (c *client) Observe(sim.Op) {}

// Final implements sim.Client: read every key ever used, on this client's
// node.
func (c *client) Final() []sim.Body {
	var bodies []sim.Body
	for _, t := range c.pool.finalReads() {
		bodies = append(bodies, request{Type: "txn", Txn: t})
	}
	return bodies
}
