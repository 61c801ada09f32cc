// Other people's cursors and selections in the live editor, with their names.
//
// Adapted from y-codemirror.next's y-remote-selections.js (MIT, Kevin Jahns): the same
// awareness protocol and positions, but colours come from a fixed set of CSS classes
// (.cm-ycursor-c0 .. c7 in static/css/editor.css) instead of inline `style` attributes,
// which Crit's Content-Security-Policy blocks. The class is derived here from the remote
// user's id, never taken from what the remote client sends, so a peer cannot inject one.
import { Annotation, RangeSet } from "@codemirror/state";
import { Decoration, ViewPlugin, WidgetType } from "@codemirror/view";
import * as Y from "yjs";
import { ySyncFacet } from "y-codemirror.next";

export const CURSOR_CLASSES = 8;
const NAME_MAX = 40;

/** The colour class of a user: a stable hash of their id, one of CURSOR_CLASSES. */
export function cursorClass(userId) {
  const text = String(userId == null ? "" : userId);
  let hash = 0;
  for (let i = 0; i < text.length; i++) {
    hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  }
  return `cm-ycursor-c${Math.abs(hash) % CURSOR_CLASSES}`;
}

function userOf(state) {
  const user = (state && state.user) || {};
  const name = typeof user.name === "string" && user.name ? user.name.slice(0, NAME_MAX) : "Someone";
  return { name, colorClass: cursorClass(user.id) };
}

const remoteChange = Annotation.define();

class CaretWidget extends WidgetType {
  constructor(colorClass, name) {
    super();
    this.colorClass = colorClass;
    this.name = name;
  }

  toDOM() {
    const caret = document.createElement("span");
    caret.className = `cm-ySelectionCaret ${this.colorClass}`;
    const dot = document.createElement("span");
    dot.className = "cm-ySelectionCaretDot";
    const info = document.createElement("span");
    info.className = "cm-ySelectionInfo";
    info.textContent = this.name;
    caret.append("\u2060", dot, "\u2060", info, "\u2060");
    return caret;
  }

  eq(other) {
    return other.colorClass === this.colorClass && other.name === this.name;
  }

  get estimatedHeight() {
    return -1;
  }

  ignoreEvent() {
    return true;
  }
}

class RemoteCursors {
  constructor(view, awareness) {
    this.conf = view.state.facet(ySyncFacet);
    this.awareness = awareness;
    this.decorations = RangeSet.of([]);
    this.listener = ({ added, updated, removed }) => {
      const changed = added.concat(updated).concat(removed);
      if (changed.some((id) => id !== this.awareness.doc.clientID)) {
        view.dispatch({ annotations: [remoteChange.of(true)] });
      }
    };
    this.awareness.on("change", this.listener);
  }

  destroy() {
    this.awareness.off("change", this.listener);
  }

  update(update) {
    const { ytext } = this.conf;
    const awareness = this.awareness;
    const ydoc = ytext.doc;
    const local = awareness.getLocalState();
    if (local != null) {
      const hasFocus = update.view.hasFocus && update.view.dom.ownerDocument.hasFocus();
      const sel = hasFocus ? update.state.selection.main : null;
      if (sel != null) {
        const anchor = Y.createRelativePositionFromTypeIndex(ytext, sel.anchor);
        const head = Y.createRelativePositionFromTypeIndex(ytext, sel.head);
        const current = local.cursor;
        if (
          current == null ||
          !Y.compareRelativePositions(Y.createRelativePositionFromJSON(current.anchor), anchor) ||
          !Y.compareRelativePositions(Y.createRelativePositionFromJSON(current.head), head)
        ) {
          awareness.setLocalStateField("cursor", { anchor, head });
        }
      } else if (local.cursor != null && hasFocus) {
        awareness.setLocalStateField("cursor", null);
      }
    }

    const decorations = [];
    const doc = update.view.state.doc;
    awareness.getStates().forEach((state, clientId) => {
      if (clientId === awareness.doc.clientID) return;
      const cursor = state.cursor;
      if (cursor == null || cursor.anchor == null || cursor.head == null) return;
      let anchor;
      let head;
      try {
        anchor = Y.createAbsolutePositionFromRelativePosition(cursor.anchor, ydoc);
        head = Y.createAbsolutePositionFromRelativePosition(cursor.head, ydoc);
      } catch (error) {
        return; // a malformed position from a peer: show no cursor for it
      }
      if (anchor == null || head == null || anchor.type !== ytext || head.type !== ytext) return;
      const { name, colorClass } = userOf(state);
      const start = Math.min(anchor.index, head.index, doc.length);
      const end = Math.min(Math.max(anchor.index, head.index), doc.length);
      const mark = Decoration.mark({ class: `cm-ySelection ${colorClass}` });
      const startLine = doc.lineAt(start);
      const endLine = doc.lineAt(end);
      if (start < end) {
        if (startLine.number === endLine.number) {
          decorations.push(mark.range(start, end));
        } else {
          if (start < startLine.to) decorations.push(mark.range(start, startLine.to));
          for (let i = startLine.number + 1; i < endLine.number; i++) {
            const line = doc.line(i);
            decorations.push(
              Decoration.line({ class: `cm-yLineSelection ${colorClass}` }).range(line.from),
            );
          }
          if (endLine.from < end) decorations.push(mark.range(endLine.from, end));
        }
      }
      const at = Math.min(head.index, doc.length);
      decorations.push(
        Decoration.widget({
          side: head.index - anchor.index > 0 ? -1 : 1,
          widget: new CaretWidget(colorClass, name),
        }).range(at),
      );
    });
    this.decorations = Decoration.set(decorations, true);
  }
}

/** The extension: shows the peers of ``awareness`` and publishes this editor's cursor. */
export function remoteCursors(awareness) {
  return ViewPlugin.define((view) => new RemoteCursors(view, awareness), {
    decorations: (plugin) => plugin.decorations,
  });
}
