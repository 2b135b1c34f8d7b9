// Package textwidth measures how many terminal columns a string takes, so
// that plain-text tables line up when they hold Chinese, Japanese or Korean
// names (which take two columns a character).
package textwidth
