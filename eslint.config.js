// ESLint for the web UI's modules (make lint). A small rule set: mistakes, not style.
import globals from "globals";

export default [
  {
    files: ["src/popcon/web/static/js/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
      "no-implicit-globals": "error",
      "no-undef": "error",
      eqeqeq: ["error", "always"],
      "no-shadow": ["error", { builtinGlobals: false, hoist: "functions" }],
      "no-redeclare": "error",
      "no-import-assign": "error",
      "no-dupe-keys": "error",
      "no-unreachable": "error",
    },
  },
];
