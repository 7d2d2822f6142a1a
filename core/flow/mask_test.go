package flow_test

import (
	"testing"

	"wxauth/core/flow"
)

func TestMask(t *testing.T) {
	cases := map[string]string{
		"":                                 "",
		"short":                            "••••",
		"7c1e9a4b2d8f60357ab9c2e41d6f8a03": "7c1e9a…(32 chars)",
		"ticket@@@Kx3fQ9aZbCdEf":           "ticket@@@Kx3f…(22 chars)",
		"refreshtoken@@@abcdefgh":          "refreshtoken@@@abcd…(23 chars)",
		"labelxx@@@":                       "labelx…(10 chars)",
	}
	for in, want := range cases {
		if got := flow.Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}
