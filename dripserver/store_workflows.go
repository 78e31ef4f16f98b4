package dripserver

import (
	"database/sql"
	"errors"
	"fmt"
)

const workflowCols = `id, slug, name, product_surface, description, metadata, created_at`

func scanWorkflow(sc scanner) (Workflow, error) {
	var (
		w          Workflow
		desc, meta sql.NullString
		created    int64
	)
	if err := sc.Scan(&w.ID, &w.Slug, &w.Name, &w.ProductSurface, &desc, &meta, &created); err != nil {
		return Workflow{}, err
	}
	w.Description, w.Metadata, w.CreatedAt = desc.String, decodeMeta(meta), nsTime(created)
	return w, nil
}

// workflowByIDOrSlug finds a workflow whose id or slug is ref, preferring
// the id.
func (t *txn) workflowByIDOrSlug(ref string) (Workflow, bool, error) {
	w, err := scanWorkflow(t.queryRow(`SELECT `+workflowCols+` FROM workflows WHERE id = ?1 OR slug = ?1
		ORDER BY id = ?1 DESC LIMIT 1`, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return Workflow{}, false, nil
	}
	if err != nil {
		return Workflow{}, false, fmt.Errorf("dripserver: read workflow: %w", err)
	}
	return w, true, nil
}

func (t *txn) insertWorkflow(w Workflow) error {
	meta, err := encodeMeta(w.Metadata)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO workflows (`+workflowCols+`) VALUES (?,?,?,?,?,?,?)`,
		w.ID, w.Slug, w.Name, w.ProductSurface, nullStr(w.Description), meta, w.CreatedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("dripserver: insert workflow: %w", err)
	}
	return nil
}

func (t *txn) listWorkflows() ([]Workflow, error) {
	rows, err := t.query(`SELECT ` + workflowCols + ` FROM workflows ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("dripserver: list workflows: %w", err)
	}
	defer rows.Close()
	out := []Workflow{}
	for rows.Next() {
		w, err := scanWorkflow(rows)
		if err != nil {
			return nil, fmt.Errorf("dripserver: list workflows: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}
