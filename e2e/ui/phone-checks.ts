/**
 * What "works on a phone" means for a page, measured in the browser (issue 37 item 5): nothing scrolls the page
 * sideways, no container that hides its overflow has been scrolled (the app shell shifted up, leaving a blank band),
 * every control is on screen and is what a tap at its centre reaches (document.elementFromPoint), every piece of
 * text is on screen, at a readable size, not cut with an ellipsis and not drawn under something else, and an empty text
 * area or field shows the whole of its placeholder. Each problem
 * comes back as a sentence naming the element, so a failing test says what a user would see.
 */
import type { Page } from 'playwright-core';

/** `within`: a CSS selector limiting the controls and text checked (an open drawer, whose page behind is meant to be covered) */
export async function phoneProblems(page: Page, within = 'body'): Promise<string[]> {
  // settled: fonts loaded and no transition half-way
  await page.evaluate(() => document.fonts.ready);
  await page.waitForFunction(() => document.getAnimations().every((animation) => !(animation instanceof CSSTransition)));
  return page.evaluate((within) => {
    const root = document.querySelector(within)!;
    const problems: string[] = [];
    const width = window.innerWidth;
    const describe = (element: Element) => {
      const label = element.getAttribute('aria-label') ?? (element.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
      return `<${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''}> "${label}"`;
    };
    const scroller = document.scrollingElement!;
    if (scroller.scrollWidth > width) problems.push(`the page scrolls sideways: ${scroller.scrollWidth} px wide on a ${width} px screen`);
    for (const element of Array.from(document.querySelectorAll('*'))) {
      const style = getComputedStyle(element);
      if (element.scrollTop > 0 && style.overflowY === 'hidden') problems.push(`${describe(element)} hides its overflow yet is scrolled ${element.scrollTop} px (content shifted out of sight)`);
    }
    const rendered = (element: Element) => {
      const rect = element.getBoundingClientRect();
      const style = getComputedStyle(element);
      // sr-only text (1 px, clipped) is for screen readers, not for the eye
      return rect.width > 1 && rect.height > 1 && style.visibility !== 'hidden' && Number(style.opacity) > 0 && !element.closest('.sr-only');
    };
    /** made to scroll sideways (a wide table's wrapper, a code block), unlike a page's column that scrolls down */
    const scrollsSidewaysOnPurpose = (element: Element) =>
      element.tagName === 'PRE' || ['overflow-x-auto', 'overflow-x-scroll', 'overflow-auto', 'overflow-scroll'].some((name) => element.classList.contains(name));
    for (const element of Array.from(root.querySelectorAll('*'))) {
      const overflowX = getComputedStyle(element).overflowX;
      if ((overflowX === 'auto' || overflowX === 'scroll') && element.scrollWidth > element.clientWidth + 1 && !scrollsSidewaysOnPurpose(element) && element.clientWidth > 0) {
        problems.push(`${describe(element)} scrolls sideways: ${element.scrollWidth} px of content in ${element.clientWidth} px`);
      }
    }
    /** inside something the user can scroll sideways on purpose */
    const inSidewaysScroller = (element: Element) => {
      for (let parent = element.parentElement; parent; parent = parent.parentElement) {
        if (scrollsSidewaysOnPurpose(parent) && parent.scrollWidth > parent.clientWidth + 1) return true;
      }
      return false;
    };
    const reaches = (element: Element, x: number, y: number) => {
      const hit = document.elementFromPoint(x, y);
      if (!hit) return false;
      if (element === hit || element.contains(hit)) return true;
      // a tap on a control's own label reaches the control
      return hit instanceof HTMLLabelElement && hit.control === element;
    };

    const controls = Array.from(root.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, [role=button], [role=combobox], [role=tab]'));
    for (const control of controls) {
      if (!rendered(control)) continue;
      control.scrollIntoView({ block: 'center', inline: 'nearest' });
      const rect = control.getBoundingClientRect();
      if (!inSidewaysScroller(control) && (rect.left < -1 || rect.right > width + 1)) {
        problems.push(`${describe(control)} sticks out of the screen (${Math.round(rect.left)}–${Math.round(rect.right)} px)`);
        continue;
      }
      // a link wrapped over two lines is tapped on its words, not in the gap its bounding box spans
      const box = Array.from(control.getClientRects()).find((part) => part.width > 1 && part.height > 1) ?? rect;
      const x = Math.min(Math.max(box.left + box.width / 2, 0), width - 1);
      const y = box.top + box.height / 2;
      if (!reaches(control, x, y)) problems.push(`${describe(control)} is covered by ${document.elementFromPoint(x, y) ? describe(document.elementFromPoint(x, y)!) : 'nothing'}: a tap does not reach it`);
    }

    // An empty text area's or field's placeholder is text too (the composer's says why nothing can run): a copy of it, as
    // wide and styled alike, holding the placeholder as its value, says how much room it needs. A text area can be as
    // tall as that; a one-line field cannot grow, so its placeholder must fit its width.
    for (const field of Array.from(root.querySelectorAll<HTMLTextAreaElement | HTMLInputElement>('textarea, input'))) {
      if (!rendered(field) || field.value !== '' || !field.placeholder) continue;
      const area = field instanceof HTMLTextAreaElement;
      const box = field.getBoundingClientRect();
      const copy = field.cloneNode() as typeof field;
      copy.value = field.placeholder;
      Object.assign(copy.style, { position: 'fixed', left: '0', top: '0', visibility: 'hidden', width: `${box.width}px`, ...(area ? { height: `${box.height}px` } : {}) });
      document.body.append(copy);
      const [needed, shown] = area ? [copy.scrollHeight, field.clientHeight] : [copy.scrollWidth, field.clientWidth];
      copy.remove();
      if (needed > shown + 1) problems.push(`${describe(field)}'s placeholder "${field.placeholder.slice(0, 40)}" is cut: ${shown} of ${needed} px shown`);
    }

    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const seen = new Set<Element>();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const holder = node.parentElement;
      if (!holder || seen.has(holder) || !(node.textContent ?? '').trim()) continue;
      seen.add(holder);
      if (!rendered(holder) || holder.closest('script, style, noscript, [aria-hidden="true"]')) continue;
      const style = getComputedStyle(holder);
      const text = (node.textContent ?? '').trim().slice(0, 40);
      if (parseFloat(style.fontSize) < 11) problems.push(`"${text}" is set in ${style.fontSize}, too small to read on a phone`);
      if (style.textOverflow === 'ellipsis' && holder.scrollWidth > holder.clientWidth + 1) problems.push(`"${text}" is cut short with an ellipsis (${holder.clientWidth} of ${holder.scrollWidth} px shown)`);
      holder.scrollIntoView({ block: 'nearest', inline: 'nearest' });
      const range = document.createRange();
      range.selectNodeContents(node);
      const box = Array.from(range.getClientRects()).find((rect) => rect.width > 1 && rect.height > 1);
      if (!box) continue;
      if (!inSidewaysScroller(holder) && (box.left < -1 || box.right > width + 1)) {
        problems.push(`"${text}" runs off the screen (${Math.round(box.left)}–${Math.round(box.right)} px)`);
        continue;
      }
      const x = Math.min(Math.max(box.left + Math.min(box.width, 20) / 2, 0), width - 1);
      const y = box.top + box.height / 2;
      const hit = document.elementFromPoint(x, y);
      if (hit && !(hit === holder || holder.contains(hit) || hit.contains(holder))) problems.push(`"${text}" is drawn under ${describe(hit)}`);
    }
    return problems;
  }, within);
}
