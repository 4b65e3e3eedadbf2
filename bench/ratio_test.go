package main

import "testing"

func TestRoundRatios(t *testing.T) {
	tests := []struct {
		name        string
		base, kasse []float64 // req/s per round
		want        float64
	}{
		{"one round", []float64{100}, []float64{90}, 0.9},
		// A slow middle round moves both servers: each round's pair says
		// 0.9, while the ratio of the medians (90/110) would say 0.82.
		{"the machine drifts between rounds", []float64{110, 50, 120}, []float64{99, 45, 90}, 0.9},
		{"the median of the rounds' ratios", []float64{100, 100, 100}, []float64{80, 95, 100}, 0.95},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var base, kasse []result
			for i := range tt.base {
				base = append(base, result{rps: tt.base[i], p50: 1, p99: 2})
				kasse = append(kasse, result{rps: tt.kasse[i], p50: 1, p99: 3})
			}
			got := roundRatios(base, kasse)
			if d := got.rps - tt.want; d > 1e-9 || d < -1e-9 {
				t.Errorf("rps ratio %.4f, want %.4f", got.rps, tt.want)
			}
			if got.p99 != 1.5 {
				t.Errorf("p99 ratio %.4f, want 1.5", got.p99)
			}
		})
	}
}
