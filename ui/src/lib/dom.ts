// Small DOM helpers. Content is always set as text, never parsed as HTML.

type Attrs = Record<string, string | number | boolean | null | undefined>;
type Child = Node | string | null | undefined | false;

/** Creates an element: attributes (false/null/undefined are skipped) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, ...children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, ...children);
  return el;
}

export function setAttrs(el: Element, attrs: Attrs): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) {
      el.removeAttribute(name);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

export function append(el: Element, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child);
  }
}

let nextId = 0;
/** A document-unique id for aria-labelledby / aria-controls pairs. */
export function uid(prefix: string): string {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/**
 * Puts `child` at `index` among `parent`'s children, moving it only when it is elsewhere:
 * moving a node takes it out of the document for a moment, and focus inside it is lost.
 */
export function placeAt(parent: Element, child: Element, index: number): void {
  const at = parent.children.item(index);
  if (at !== child) parent.insertBefore(child, at);
}

/** Escape inside `el` runs `close` (dialogs and panels close the same way everywhere). */
export function closeOnEscape(el: HTMLElement, close: () => void): void {
  el.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  });
}
