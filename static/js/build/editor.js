/*! Crit editor.js, built from frontend/editor.js by `make assets`. Bundled third-party code and its licences: editor.js.LICENSES.txt */
(()=>{})();
