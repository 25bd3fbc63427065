package main

import (
	"fmt"
	"os"
	"sort"
	"text/tabwriter"

	bolt "go.etcd.io/bbolt"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: doordspace FILE")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "doordspace:", err)
		os.Exit(1)
	}
}

type row struct {
	name             string
	keys             int
	inuse, alloc     int
	leafPages, depth int
}

func run(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	var rows []row
	var pages, pageSize int
	err = db.View(func(tx *bolt.Tx) error {
		pageSize = tx.DB().Info().PageSize
		pages = int(tx.Size()) / pageSize
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			s := b.Stats()
			rows = append(rows, row{
				name: string(name), keys: s.KeyN,
				inuse:     s.BranchInuse + s.LeafInuse + s.InlineBucketInuse,
				alloc:     s.BranchAlloc + s.LeafAlloc,
				leafPages: s.LeafPageN + s.LeafOverflowN, depth: s.Depth,
			})
			return nil
		})
	})
	if err != nil {
		return err
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].alloc > rows[j].alloc })
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "bucket\tkeys\tin use MB\tallocated MB\tfill %\tB/key (alloc)\t")
	var tin, tal int
	for _, r := range rows {
		tin += r.inuse
		tal += r.alloc
		fill, per := 0.0, 0.0
		if r.alloc > 0 {
			fill = 100 * float64(r.inuse) / float64(r.alloc)
		}
		if r.keys > 0 {
			per = float64(r.alloc) / float64(r.keys)
		}
		fmt.Fprintf(w, "%s\t%d\t%.1f\t%.1f\t%.0f\t%.1f\t\n", r.name, r.keys, mb(r.inuse), mb(r.alloc), fill, per)
	}
	fmt.Fprintf(w, "all buckets\t\t%.1f\t%.1f\t\t\t\n", mb(tin), mb(tal))
	// A read-only open does not load the freelist: what no bucket holds is
	// free pages, the freelist and the two meta pages.
	fmt.Fprintf(w, "in no bucket (free, freelist, meta)\t\t\t%.1f\t\t\t\n", mb(pages*pageSize-tal))
	fmt.Fprintf(w, "file (tx size / on disk)\t%d pages\t%.1f\t%.1f\t\t\t\n", pages, mb(pages*pageSize), mb(int(fi.Size())))
	return w.Flush()
}

func mb(n int) float64 { return float64(n) / 1e6 }
