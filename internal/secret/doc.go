// Package secret holds credentials so that no printer, encoder or logger can
// reveal them: licence keys, API keys, tokens and header values.
package secret
