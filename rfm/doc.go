// Package rfm computes RFM metrics and scores.
package rfm
