// The live section editor (CodeMirror 6 bound to the section's shared Yjs text); built by
// `make assets` into static/js/build/editor.js.
export {};
