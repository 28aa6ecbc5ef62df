package tracer_test

import (
	"math/rand/v2"
	"testing"
)

// TestMatchesTheSDK runs generated programs of trace API calls on the SDK
// and on tracer.Provider, under every limit set and sampler, and holds
// every result a caller or processor can observe to the SDK's.
func TestMatchesTheSDK(t *testing.T) {
	seeds := 25
	if testing.Short() {
		seeds = 5
	}
	for _, ln := range sortedKeys(limitSets) {
		for _, sn := range sortedKeys(samplers) {
			t.Run(ln+"/"+sn, func(t *testing.T) {
				for seed := range uint64(seeds) {
					c := &randChooser{r: rand.New(rand.NewPCG(seed, 14)), left: 200}
					if d := compare(limitSets[ln], samplers[sn](), program(c, 200)); d != "" {
						t.Fatalf("seed %d: tracer.Provider differs from the SDK:\n%s", seed, d)
					}
				}
			})
		}
	}
}

// FuzzMatchesTheSDK is TestMatchesTheSDK driven by fuzz bytes: the first
// two choose the limits and the sampler, the rest the calls.
func FuzzMatchesTheSDK(f *testing.F) {
	f.Add([]byte{0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add([]byte{3, 1, 0, 4, 0, 0, 9, 9, 9, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3})
	f.Add([]byte("\x01\x02 the quick brown fox jumps over the lazy dog, twice: the quick brown fox"))
	f.Add([]byte{4, 4, 0, 0, 0, 0, 0, 1, 1, 12, 12, 12, 6, 6, 6, 6, 8, 8, 8, 8, 8, 3, 11, 11, 4, 2})
	lns, sns := sortedKeys(limitSets), sortedKeys(samplers)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		ln, sn := lns[int(data[0])%len(lns)], sns[int(data[1])%len(sns)]
		steps := program(&byteChooser{b: data[2:]}, 300)
		if d := compare(limitSets[ln], samplers[sn](), steps); d != "" {
			t.Fatalf("%s/%s: tracer.Provider differs from the SDK:\n%s", ln, sn, d)
		}
	})
}
