package otelbridge

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// TestTableMatchesMap drives the open-addressing span table and a Go map
// with the same random puts, takes and sweeps, including colliding homes
// (few distinct low bits) and ids a counter would generate.
func TestTableMatchesMap(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   func(r *rand.Rand, i int) uint64
	}{
		{"random", func(r *rand.Rand, _ int) uint64 { return r.Uint64() }},
		{"counter", func(_ *rand.Rand, i int) uint64 { return uint64(i) << 56 >> 56 << 8 * 0x0101 }},
		{"narrow", func(r *rand.Rand, _ int) uint64 { return r.Uint64N(300) << 56 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, uint64(len(tc.name))))
			var tab spanTable
			tab.init(shardCount*100000, time.Hour) // never full: sweeps come only from the test
			want := map[uint64]entry{}
			tid := trace.TraceID{1}
			live := &scope{born: time.Now()}
			dead := &scope{born: time.Now()}
			dead.ended.Store(true)
			var keys []uint64
			for i := range 20000 {
				switch op := r.IntN(10); {
				case op < 5: // put
					k := tc.id(r, i)
					var sid trace.SpanID
					binary.LittleEndian.PutUint64(sid[:], k)
					sc := live
					if r.IntN(4) == 0 {
						sc = dead
					}
					e := entry{trace: tid, sc: sc, root: r.IntN(2) == 0}
					ok, _ := tab.put(sid, e)
					if _, had := want[k]; had || ok {
						if !ok {
							t.Fatalf("put of a tracked id refused")
						}
						if !had {
							keys = append(keys, k)
						}
						want[k] = e
					}
				case op < 9 && len(keys) > 0: // take, sometimes of an unknown id
					j := r.IntN(len(keys))
					k := keys[j]
					if r.IntN(5) == 0 {
						k = r.Uint64()
					}
					var sid trace.SpanID
					binary.LittleEndian.PutUint64(sid[:], k)
					sc := spanContext(tid, sid)
					got, ok := tab.take(&sc)
					w, had := want[k]
					if ok != had || got != w {
						t.Fatalf("take %x = %+v %v, want %+v %v", k, got, ok, w, had)
					}
					if had {
						delete(want, k)
						keys[j] = keys[len(keys)-1]
						keys = keys[:len(keys)-1]
					}
				case op == 9 && r.IntN(50) == 0: // sweep one shard: forgets dead spans
					sh := &tab.shards[r.IntN(shardCount)]
					sh.lastSweep = time.Time{}
					tab.sweepLocked(sh, time.Now())
					for k, e := range want {
						if e.sc == dead && tab.shardFor(k) == sh {
							delete(want, k)
						}
					}
					keys = keys[:0]
					for k := range want {
						keys = append(keys, k)
					}
				}
				if i%997 == 0 {
					checkTable(t, &tab, want)
				}
			}
			checkTable(t, &tab, want)
		})
	}
}

func checkTable(t *testing.T, tab *spanTable, want map[uint64]entry) {
	t.Helper()
	if n := tab.len(); n != int64(len(want)) {
		t.Fatalf("len %d, want %d", n, len(want))
	}
	for k, w := range want {
		var sid trace.SpanID
		binary.LittleEndian.PutUint64(sid[:], k)
		if got, ok := tab.get(spanContext(w.trace, sid)); !ok || got != w {
			t.Fatalf("get %x = %+v %v, want %+v", k, got, ok, w)
		}
	}
	var sum int32
	for i := range tab.traces {
		sum += tab.traces[i].Load()
	}
	if int(sum) != len(want) {
		t.Fatalf("trace filter counts %d spans, want %d", sum, len(want))
	}
}
