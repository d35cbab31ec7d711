package services

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// storedValues is how many values BenchmarkStoreValues keeps in lin-kv.
const storedValues = 10_000

// pairsValue is an array of 20 [offset, message] integer pairs.
func pairsValue(i int) string {
	var b strings.Builder
	b.WriteByte('[')
	for j := range 20 {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "[%d,%d]", i*20+j, (i*20+j)*7)
	}
	b.WriteByte(']')
	return b.String()
}

// chunkValue is an object shaped like a kafka chunk: five log entries and
// the committed offsets of two keys.
func chunkValue(i int) string {
	var b strings.Builder
	b.WriteString(`{"entries":[`)
	for j := range 5 {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"key":"%d","offset":%d,"msg":%d}`, j, i+j, (i+j)*7)
	}
	fmt.Fprintf(&b, `],"commits":{"0":%d,"1":%d}}`, i, i+1)
	return b.String()
}

// heapAfterGC is the live heap once garbage is collected.
func heapAfterGC() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// BenchmarkStoreValues writes storedValues values of each shape to lin-kv
// under distinct keys and reports the heap they keep per stored value (the
// value, its key and the map's slot), measured after garbage collection.
func BenchmarkStoreValues(b *testing.B) {
	for _, shape := range []struct {
		name  string
		value func(int) string
	}{{"pairs", pairsValue}, {"chunk", chunkValue}} {
		b.Run(shape.name, func(b *testing.B) {
			bodies := make([]json.RawMessage, storedValues)
			for i := range bodies {
				bodies[i] = fmt.Appendf(nil, `{"type":"write","key":"k/%d","value":%s}`, i, shape.value(i))
			}
			b.ReportAllocs()
			var retained int64
			for b.Loop() {
				before := heapAfterGC()
				s := newLinKV()
				for _, body := range bodies {
					s.Handle("n1", body)
				}
				retained = heapAfterGC() - before
				runtime.KeepAlive(s)
			}
			b.ReportMetric(float64(retained)/storedValues, "B/value")
		})
	}
}
