package drip

import (
	"iter"
	"net/url"
	"strconv"
)

// maxPageLimit is the largest page the offset-paged lists (customers,
// charges, execution events) serve; 0 asks for the server's default.
const maxPageLimit = 100

// listPath builds the path of an offset-paged list: base, then the filters
// given as name, value pairs (empty values left out), limit and offset when
// set. A limit outside 0–100 or a negative offset is a VALIDATION_ERROR.
func listPath(op, base string, limit, offset int, filters ...string) (string, error) {
	if limit < 0 || limit > maxPageLimit {
		return "", validationError(op, "limit", "limit must be between 1 and 100")
	}
	if offset < 0 {
		return "", validationError(op, "offset", "offset must be >= 0")
	}
	q := url.Values{}
	for i := 0; i+1 < len(filters); i += 2 {
		if filters[i+1] != "" {
			q.Set(filters[i], filters[i+1])
		}
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	if len(q) == 0 {
		return base, nil
	}
	return base + "?" + q.Encode(), nil
}

// offsetPages walks an offset-paged list from offset, limit items a page
// (0: 100). fetch returns one page and the list's total, or -1 when the API
// does not report one. It stops after a short or empty page, at the total,
// or at the first error, which it yields.
func offsetPages[T any](limit, offset int, fetch func(limit, offset int) ([]T, int, error)) iter.Seq2[T, error] {
	if limit == 0 {
		limit = maxPageLimit
	}
	return func(yield func(T, error) bool) {
		for {
			page, total, err := fetch(limit, offset)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, v := range page {
				if !yield(v, nil) {
					return
				}
			}
			offset += len(page)
			if len(page) < limit || (total >= 0 && offset >= total) {
				return
			}
		}
	}
}
