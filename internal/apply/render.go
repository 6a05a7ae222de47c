package apply

import (
	"fmt"
	"io"

	"github.com/mintauth/mint/internal/mint"
)

// opMarks are the plan's signs, as diff and Terraform write them.
var opMarks = map[mint.ChangeOp]string{mint.OpCreate: "+", mint.OpUpdate: "~", mint.OpDelete: "-"}

// Render writes the plan for people: one line per step, then its fields,
// then the counts. Nothing in it is secret.
func (p *Plan) Render(w io.Writer) {
	if len(p.Steps) == 0 {
		fmt.Fprintln(w, "No changes: the store matches the files.")
		return
	}
	for _, s := range p.Steps {
		fmt.Fprintf(w, "%s %s %s\n", opMarks[s.Op], s.Kind, s.Name)
		for _, f := range s.Fields {
			if s.Op == mint.OpCreate {
				fmt.Fprintf(w, "    %s: %s\n", f.Field, f.To)
			} else {
				fmt.Fprintf(w, "    %s: %s → %s\n", f.Field, f.From, f.To)
			}
		}
	}
	c, u, d := p.Counts()
	fmt.Fprintf(w, "Plan: %d to create, %d to update, %d to delete.\n", c, u, d)
}
