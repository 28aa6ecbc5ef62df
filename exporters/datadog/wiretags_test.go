package datadog

import (
	"slices"
	"strings"
	"testing"
)

// TestGitTags: the source code tags come from DD_GIT_*, else from DD_TAGS,
// else from the build, each on its own, and never carry the repository
// URL's credentials.
func TestGitTags(t *testing.T) {
	built := func() (string, string, bool) { return "b1d", "example.com/books", true }
	notBuilt := func() (string, string, bool) { return "", "", false }
	tests := []struct {
		name  string
		c     Config
		build func() (string, string, bool)
		want  []strTag
	}{
		{"variables win", Config{GitRepositoryURL: "https://bot:s3cret@github.com/o/books", GitCommitSHA: "abc123",
			Tags: "git.repository_url:https://github.com/o/other,git.commit.sha:fff"}, built,
			[]strTag{{"_dd.git.repository_url", "https://github.com/o/books"}, {"_dd.git.commit.sha", "abc123"}, {"_dd.go_path", "example.com/books"}}},
		{"DD_TAGS next", Config{Tags: "team:books git.repository_url:https://github.com/o/other,git.commit.sha:fff,go_path:x/y"}, built,
			[]strTag{{"_dd.git.repository_url", "https://github.com/o/other"}, {"_dd.git.commit.sha", "fff"}, {"_dd.go_path", "x/y"}}},
		{"the build last", Config{}, built,
			[]strTag{{"_dd.git.commit.sha", "b1d"}, {"_dd.go_path", "example.com/books"}}},
		{"nothing known", Config{}, notBuilt, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := gitTags(tt.c, tt.build); !slices.Equal(got, tt.want) {
				t.Errorf("gitTags = %v; want %v", got, tt.want)
			}
		})
	}
}

// TestProcessTags: DD_EXPERIMENTAL_PROPAGATE_PROCESS_TAGS_ENABLED=false
// leaves _dd.tags.process out; otherwise it names the executable.
func TestProcessTags(t *testing.T) {
	if got := processTags(false); got != "" {
		t.Errorf("disabled: %q; want none", got)
	}
	if got := processTags(true); !slices.Contains(strings.Split(got, ","), "entrypoint.type:executable") {
		t.Errorf("enabled: %q; want entrypoint.type:executable among them", got)
	}
}
