// Package secret holds credentials so that no printer, encoder or logger can
// reveal them: licence keys, API keys, tokens and header values. A backend
// of your own keeps its credentials in String fields, so that its
// configuration can be printed, logged and encoded as it is.
package secret
