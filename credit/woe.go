package credit

import (
	"errors"
	"fmt"
	"math"
)

// BinStats is the outcome count of one bin of a characteristic and its weight
// of evidence. It is a plain value.
type BinStats struct {
	// Bin is the bin's label, or "missing".
	Bin         string
	Goods, Bads int
	// WoE is ln(%goods / %bads) of the bin: the share of all goods in the
	// bin over the share of all bads. A bin without goods or without bads
	// counts 0.5 of them, so that WoE stays finite.
	WoE float64
	// IV is the bin's part of the information value, (%goods − %bads) × WoE.
	IV float64
	// Fitted is the WoE the regression used: the bin's own, or that of the
	// adjacent bins pooled with it to keep a declared monotonic order.
	Fitted float64
}

// CharacteristicStats is the weight of evidence of every bin of a
// characteristic and its information value, the sum of the bins' IV (under
// 0.02 not predictive, 0.02–0.1 weak, 0.1–0.3 medium, over 0.3 strong, by
// the usual rule of thumb). It is a plain value.
type CharacteristicStats struct {
	Characteristic string
	Bins           []BinStats
	IV             float64
}

// ErrOneClass is returned by [WeightOfEvidence] and [Fit] when the outcomes
// are all good or all bad: nothing can be learnt from them.
var ErrOneClass = errors.New("credit: the outcomes need both goods and bads")

// WeightOfEvidence returns, for bins with the given counts of goods and
// bads, each bin's weight of evidence ln(%goods/%bads) and its part of the
// information value (%goods − %bads) × WoE, where %goods is the bin's share
// of all goods. A bin with no goods or no bads counts 0.5 of them (the
// usual adjustment, so that WoE stays finite); its shares are taken of the
// unadjusted totals.
func WeightOfEvidence(goods, bads []int) (woe, iv []float64, err error) {
	if len(goods) != len(bads) {
		return nil, nil, fmt.Errorf("credit: woe: %d goods counts for %d bads counts", len(goods), len(bads))
	}
	var g, b float64
	for i := range goods {
		if goods[i] < 0 || bads[i] < 0 {
			return nil, nil, fmt.Errorf("credit: woe: bin %d has a negative count", i)
		}
		g += float64(goods[i])
		b += float64(bads[i])
	}
	if g == 0 || b == 0 {
		return nil, nil, ErrOneClass
	}
	woe = make([]float64, len(goods))
	iv = make([]float64, len(goods))
	for i := range goods {
		woe[i], iv[i] = woeOf(float64(goods[i]), float64(bads[i]), g, b)
	}
	return woe, iv, nil
}

func woeOf(gi, bi, g, b float64) (woe, iv float64) {
	if gi == 0 && bi == 0 {
		return 0, 0
	}
	if gi == 0 || bi == 0 {
		gi, bi = math.Max(gi, 0.5), math.Max(bi, 0.5)
	}
	pg, pb := gi/g, bi/b
	woe = math.Log(pg / pb)
	return woe, (pg - pb) * woe
}

// pooledWoE returns the WoE of each bin after pooling adjacent bins
// (pool-adjacent-violators on the counts) until the WoE never falls
// (increasing) or never rises (decreasing) from bin to bin.
func pooledWoE(goods, bads []float64, g, b float64, increasing bool) []float64 {
	type block struct {
		g, b float64
		n    int // bins pooled
		woe  float64
	}
	blocks := make([]block, 0, len(goods))
	for i := range goods {
		blk := block{g: goods[i], b: bads[i], n: 1}
		blk.woe, _ = woeOf(blk.g, blk.b, g, b)
		blocks = append(blocks, blk)
		for len(blocks) > 1 {
			prev, last := blocks[len(blocks)-2], blocks[len(blocks)-1]
			ok := prev.woe <= last.woe
			if !increasing {
				ok = prev.woe >= last.woe
			}
			// An empty bin has no evidence; it takes its neighbour's WoE.
			if ok && last.g+last.b > 0 && prev.g+prev.b > 0 {
				break
			}
			m := block{g: prev.g + last.g, b: prev.b + last.b, n: prev.n + last.n}
			m.woe, _ = woeOf(m.g, m.b, g, b)
			blocks = append(blocks[:len(blocks)-2], m)
		}
	}
	out := make([]float64, 0, len(goods))
	for _, blk := range blocks {
		for range blk.n {
			out = append(out, blk.woe)
		}
	}
	return out
}
