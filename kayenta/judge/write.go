package judge

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes r as indented Kayenta CanaryJudgeResult JSON and a newline.
func WriteJSON(w io.Writer, r *CanaryJudgeResult) error {
	if r == nil {
		return fmt.Errorf("no judge result to write")
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
