// Lists src/ files over N lines and functions over M lines (defaults 200 and 50): `node scripts/size-report.mjs [N] [M]`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const ts = createRequire(join(process.cwd(), 'package.json'))('typescript');
const walk = (d) =>
  readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
const FILE_MAX = Number(process.argv[2] ?? 200),
  FN_MAX = Number(process.argv[3] ?? 50);
const files = [],
  fns = [];
for (const file of walk('src')) {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > FILE_MAX) files.push([lines, file]);
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node, owner) => {
    let name = owner;
    if (
      ts.isFunctionDeclaration(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isArrowFunction(node) ||
      ts.isFunctionExpression(node) ||
      ts.isGetAccessor(node)
    ) {
      const n =
        node.name?.getText?.() ??
        (ts.isConstructorDeclaration(node)
          ? 'constructor'
          : ts.isVariableDeclaration(node.parent)
            ? node.parent.name.getText()
            : ts.isPropertyAssignment(node.parent)
              ? node.parent.name.getText()
              : '(anonymous)');
      name = owner ? `${owner} > ${n}` : n;
      const start = sf.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      if (end - start + 1 > FN_MAX) fns.push([end - start + 1, `${file}:${start} ${name}`]);
    } else if (ts.isClassDeclaration(node) && node.name) name = node.name.getText();
    ts.forEachChild(node, (c) => visit(c, name));
  };
  visit(sf, '');
}
console.log(`src files over ${FILE_MAX} lines:`);
for (const [n, f] of files.sort((a, b) => b[0] - a[0])) console.log(`  ${n}\t${f}`);
console.log(`functions over ${FN_MAX} lines (nested ones listed under their outer function):`);
for (const [n, f] of fns.sort((a, b) => b[0] - a[0])) console.log(`  ${n}\t${f}`);
