package compare

import (
	"bytes"
	"context"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/otelswitch/otelswitch/internal/lab"
)

// TestHTMLSelfContained checks that the page loads nothing: no scripts, no
// links, no URLs in attributes.
func TestHTMLSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.Data {
		case "script", "link", "img", "iframe", "object", "embed", "image", "use":
			t.Errorf("page has a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			if (a.Key == "src" || a.Key == "href") || strings.Contains(a.Val, "url(") {
				t.Errorf("<%s %s=%q> could load something", n.Data, a.Key, a.Val)
			}
		}
	}
}

// TestHTMLInChromium opens the page in headless Chromium, keeps a
// screenshot under artifacts/compare/ at the repository root, and checks
// that the table and the charts rendered: in the DOM Chromium built, and in
// the pixels of the screenshot.
func TestHTMLInChromium(t *testing.T) {
	browser := chromium(t)
	root, err := lab.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "artifacts", "compare")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "compare.html")
	shot := filepath.Join(dir, "compare.png")
	rep := sampleReport()
	var b bytes.Buffer
	if err := rep.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(shot)

	profile := t.TempDir()
	run := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		args = append([]string{
			"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + profile,
		}, args...)
		cmd := exec.CommandContext(ctx, browser, append(args, "file://"+page)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s", browser, strings.Join(args, " "), err, stderr.String())
		}
		return stdout.Bytes()
	}

	run("--screenshot="+shot, "--window-size=1600,1700")
	t.Logf("screenshot: %s (page %s)", shot, page)
	checkScreenshot(t, shot)

	dom, err := html.Parse(bytes.NewReader(run("--dump-dom")))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := rep.table()
	table := byID(dom, "compare-table")
	if table == nil {
		t.Fatal("the DOM has no table#compare-table")
	}
	var trs []*html.Node
	for n := range table.Descendants() {
		if n.Type == html.ElementNode && n.Data == "tr" {
			trs = append(trs, n)
		}
	}
	if len(trs) != len(rows)+1 {
		t.Errorf("table has %d rows; want a header and %d", len(trs), len(rows))
	}
	for i, r := range rows {
		if i+1 >= len(trs) {
			break
		}
		if got := cells(trs[i+1]); strings.Join(got, "|") != strings.Join(r.Cells, "|") {
			t.Errorf("row %d = %q; want %q", i+1, got, r.Cells)
		}
	}
	runs := 2 + len(rep.Alone) // baseline, each backend, fan-out
	for _, c := range []struct {
		id   string
		bars int
	}{
		{"request-latency", 2 * runs},
		{"export-latency", 2 * len(rep.Alone)},
		{"throughput", 2 * runs},
	} {
		svg := byID(dom, c.id)
		if svg == nil || svg.Data != "svg" {
			t.Errorf("the DOM has no svg#%s", c.id)
			continue
		}
		bars := 0
		for n := range svg.Descendants() {
			if n.Type == html.ElementNode && n.Data == "rect" && strings.Contains(attr(n, "class"), "bar") {
				bars++
				if attr(n, "width") == "0" && !strings.Contains(attr(n, "data-run"), "off") {
					t.Errorf("svg#%s: bar %s %s has no width", c.id, attr(n, "data-run"), attr(n, "data-facet"))
				}
			}
		}
		if bars != c.bars {
			t.Errorf("svg#%s has %d bars; want %d", c.id, bars, c.bars)
		}
	}
}

// checkScreenshot decodes the PNG and looks for the pixels only a rendered
// page has: both bar colours of the charts and the failed row's status
// background.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	want := map[string]color.RGBA{
		"p50 bars (#54aeff)":             {0x54, 0xae, 0xff, 0xff},
		"p99 bars (#0969da)":             {0x09, 0x69, 0xda, 0xff},
		"failed status cell (#ffebe9)":   {0xff, 0xeb, 0xe9, 0xff},
		"baseline row shading (#f6f8fa)": {0xf6, 0xf8, 0xfa, 0xff},
	}
	found := map[string]int{}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			for name, w := range want {
				if near(c, w) {
					found[name]++
				}
			}
		}
	}
	for name := range want {
		if found[name] < 100 {
			t.Errorf("screenshot %s: %d pixels of the %s; the page did not render", path, found[name], name)
		}
	}
	if bounds.Dx() < 1000 || bounds.Dy() < 800 {
		t.Errorf("screenshot is %v", bounds)
	}
}

func near(a, b color.RGBA) bool {
	d := func(x, y uint8) int {
		if x > y {
			return int(x - y)
		}
		return int(y - x)
	}
	return d(a.R, b.R) <= 3 && d(a.G, b.G) <= 3 && d(a.B, b.B) <= 3
}

func byID(n *html.Node, id string) *html.Node {
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && attr(d, "id") == id {
			return d
		}
	}
	return nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func cells(tr *html.Node) []string {
	var out []string
	for c := tr.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && (c.Data == "td" || c.Data == "th") {
			var b strings.Builder
			for t := range c.Descendants() {
				if t.Type == html.TextNode {
					b.WriteString(t.Data)
				}
			}
			out = append(out, b.String())
		}
	}
	return out
}

// chromium returns Debian's chromium, installing it with apt-get when it is
// missing and this is root. It skips the test, saying why, only when it
// cannot be had.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("OTELSWITCH_BROWSER") == "off" {
		t.Skip("OTELSWITCH_BROWSER=off and chromium is not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("chromium is not installed and this is not root to install it: apt-get install chromium")
	}
	t.Log("chromium is not installed: apt-get update && apt-get install -y chromium (a minute or two, once)")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for _, args := range [][]string{{"update"}, {"install", "-y", "chromium"}} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("chromium is not installed and apt-get %s failed (%v); install it with apt-get install chromium:\n%s",
				strings.Join(args, " "), err, tail(out, 20))
		}
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		t.Skipf("apt-get installed chromium, but it is not on PATH: %v", err)
	}
	return p
}

func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
