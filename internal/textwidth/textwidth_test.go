package textwidth

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWidth(t *testing.T) {
	for s, want := range map[string]int{
		"":           0,
		"Champions":  9,
		"宝妈":         4,
		"上班族":        6,
		"重要价值客户":     12,
		"a宝b":        4,
		"ｆｕｌｌ":       8,
		"e\u0301":    1, // e + combining acute
		"한국어":        6,
		"tag mother": 10,
		// Emoji and symbols the old hand-written table missed.
		"🚀":        2, // U+1F680, transport and map symbols
		"☕":        2, // U+2615, emoji presentation
		"⌚":        2,
		"🫶":        2, // U+1FAF6, symbols and pictographs extended-A
		"👍🏽":       4, // thumbs up + skin tone modifier (both wide; terminals differ)
		"♥":        1, // text presentation
		"♥\ufe0f":  1, // the variation selector takes no column
		"a\u200db": 2,
		"\t":       0,
	} {
		assert.Equal(t, want, Width(s), "%q", s)
	}
}

func TestPad(t *testing.T) {
	assert.Equal(t, "宝妈  |", Pad("宝妈", 6)+"|")
	assert.Equal(t, "上班族|", Pad("上班族", 4)+"|", "wider strings are not cut")
	assert.Equal(t, "ab   |", Pad("ab", 5)+"|")
}
