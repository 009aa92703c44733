package report

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// chromiumBinary finds Debian's chromium ($CHROMIUM, else chromium or
// chromium-browser on PATH). A missing browser fails the test: the report
// must be proven to render, and hack/testinfra/ensure.sh installs it.
func chromiumBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatalf("chromium not found ($CHROMIUM, or chromium on PATH): run hack/testinfra/ensure.sh (make test does), which installs Debian's chromium package")
	return ""
}

// headless runs chromium headless, offline, on a file with extra flags and
// returns its stdout and stderr. It may run in another goroutine than the test's.
func headless(t *testing.T, bin, file string, extra ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--hide-scrollbars", "--enable-logging=stderr", "--v=0",
		"--user-data-dir=" + t.TempDir()}, extra...)
	args = append(args, "file://"+file)
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Dir = t.TempDir()
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("%s %s: %v\nstderr:\n%s", bin, strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), errOut.String(), nil
}

// consoleErrorRE matches what chromium logs for console messages and
// refused loads (a CSP violation of the page's own policy would be one).
var consoleErrorRE = regexp.MustCompile(`(?m)^.*(CONSOLE|Refused to|Uncaught|net::ERR_).*$`)

// TestReportInChromium opens the report page in headless Chromium: the DOM it
// builds has one chart <svg> per metric with its series, nothing was refused
// or failed on the console, and a screenshot shows both series' colours.
func TestReportInChromium(t *testing.T) {
	bin := chromiumBinary(t)
	r := fixtureReport(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, []byte(renderHTML(t, r)), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "report.png")

	var wg sync.WaitGroup
	var dom, domErr, shotErr string
	var err1, err2 error
	wg.Add(2)
	go func() { defer wg.Done(); dom, domErr, err1 = headless(t, bin, file, "--dump-dom") }()
	go func() {
		defer wg.Done()
		_, shotErr, err2 = headless(t, bin, file, "--window-size=1200,1600", "--screenshot="+shot)
	}()
	wg.Wait()
	for _, err := range []error{err1, err2} {
		if err != nil {
			t.Fatal(err)
		}
	}

	if !strings.Contains(dom, "<title>Canary report: checkout &lt;canary&gt; &amp; co</title>") {
		t.Errorf("DOM has no title; dump:\n%.2000s", dom)
	}
	charts := regexp.MustCompile(`(?s)<svg class="metric-chart".*?</svg>`).FindAllString(dom, -1)
	if len(charts) != len(r.Results) {
		t.Errorf("DOM has %d chart <svg>, want one per metric (%d)", len(charts), len(r.Results))
	}
	if n := strings.Count(dom, "<svg"); n != len(r.Results) {
		t.Errorf("DOM has %d <svg>, want %d", n, len(r.Results))
	}
	for i, c := range charts {
		if !strings.Contains(c, `<path class="ctl" d="M`) {
			t.Errorf("chart %d has no control line", i)
		}
	}
	for _, log := range []string{domErr, shotErr} {
		if m := consoleErrorRE.FindAllString(log, -1); len(m) > 0 {
			t.Errorf("chromium reported page errors:\n%s", strings.Join(m, "\n"))
		}
	}

	// The screenshot is the rendered page: it has the control (blue) and
	// experiment (orange) line colours of the charts.
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 800 {
		t.Errorf("screenshot is %v", b)
	}
	blue, orange := countNear(img, 0x2f, 0x6f, 0xdf), countNear(img, 0xe8, 0x59, 0x0c)
	if blue < 200 || orange < 200 {
		t.Errorf("screenshot has %d control-blue and %d experiment-orange pixels; the charts did not render", blue, orange)
	}
	if keep := os.Getenv("CTL_REPORT_SCREENSHOT"); keep != "" {
		b, _ := os.ReadFile(shot)
		_ = os.WriteFile(keep, b, 0o644)
		t.Logf("screenshot kept at %s", keep)
	}
}

// countNear counts the pixels within a small distance of an RGB colour.
func countNear(img image.Image, r, g, b uint8) int {
	n := 0
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if near(pr>>8, r) && near(pg>>8, g) && near(pb>>8, b) {
				n++
			}
		}
	}
	return n
}

func near(v uint32, want uint8) bool {
	d := int(v) - int(want)
	return d > -24 && d < 24
}
