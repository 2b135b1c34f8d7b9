package chart_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/segkit/segkit/internal/chart"
)

func ExampleBarChart() {
	c := chart.BarChart{Title: "Customers per persona", Bars: []chart.Bar{
		{Label: "大学生", Value: 3006}, {Label: "宝妈", Value: 3429}, {Label: "上班族", Value: 4373},
	}}
	var b strings.Builder
	if err := c.WriteSVG(&b); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	// Bars come largest first, each labelled with its value and share.
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(line, "<text") && strings.Contains(line, "%") {
			fmt.Println(line[strings.Index(line, ">")+1 : strings.LastIndex(line, "<")])
		}
	}
	// Output:
	// 4,373 · 40.5%
	// 3,429 · 31.7%
	// 3,006 · 27.8%
}
