// as-pect configuration: AssemblyScript unit tests under assembly/__tests__.
export default {
  entries: ["assembly/__tests__/**/*.spec.ts"],
  include: ["assembly/__tests__/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  // Coverage mode of as-pect 8.1 does not work with AssemblyScript 0.28; left off.
  outputBinary: false,
};
