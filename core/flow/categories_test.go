package flow

import (
	"slices"
	"testing"
)

func TestParseCategoryIDs(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []int
		wantErr string
	}{
		{"", []int{}, ""},
		{"1", []int{1}, ""},
		{"1,17", []int{1, 17}, ""},
		{" 1, 17 18 ", []int{1, 17, 18}, ""},
		{"1，17", []int{1, 17}, ""},
		{"1|17", []int{1, 17}, ""},
		{"1,,17", []int{1, 17}, ""},
		{"0", nil, `"0" is not a permission-set id`},
		{"-3", nil, `"-3" is not a permission-set id`},
		{"1,x", nil, `"x" is not a permission-set id`},
		{"1.5", nil, `"1.5" is not a permission-set id`},
	} {
		got, err := ParseCategoryIDs(tc.in)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("ParseCategoryIDs(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseCategoryIDs(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}
