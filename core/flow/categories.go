package flow

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseCategoryIDs reads permission-set ids as people type them: "1,17", "1, 17 18",
// "1，17" (a full-width comma from a Chinese keyboard) or "1|17". Each must be a positive
// integer; an empty input is no ids (WeChat then offers every released set).
func ParseCategoryIDs(s string) ([]int, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '，' || r == '|' || r == '\t' })
	ids := make([]int, 0, len(fields))
	for _, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a permission-set id", f)
		}
		ids = append(ids, n)
	}
	return ids, nil
}
