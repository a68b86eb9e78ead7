import PDFDocument from 'pdfkit';

/** A column of a PDF table: its heading, its width in points, and how its cells line up. */
export type PdfColumn = { label: string; width: number; align?: 'left' | 'right' };

/**
 * Headings, paragraphs and ruled tables for Patchwork's A4 PDFs (50-point margins), each starting a new page
 * rather than leaving a heading or a table row stranded at the foot of one.
 */
export function pdfLayout(doc: InstanceType<typeof PDFDocument>, width: number) {
  const heading = (text: string, size = 15) => {
    if (doc.y > doc.page.height - 160) doc.addPage();
    doc.moveDown(0.6).font('Helvetica-Bold').fontSize(size).fillColor('#0b0c0c').text(text, 50, doc.y, { width });
    doc.moveDown(0.3).font('Helvetica').fontSize(10);
  };
  const para = (text: string) => doc.font('Helvetica').fontSize(10).text(text, 50, doc.y, { width }).moveDown(0.3);
  const table = (columns: PdfColumn[], rows: string[][]) => {
    const draw = (cells: string[], bold: boolean) => {
      if (doc.y > doc.page.height - 80) doc.addPage();
      const y = doc.y;
      let x = 50;
      let height = 0;
      doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9.5);
      cells.forEach((cell, i) => {
        const c = columns[i]!;
        doc.text(cell, x + 2, y + 3, { width: c.width - 4, align: c.align ?? 'left' });
        height = Math.max(height, doc.y - y);
        x += c.width;
      });
      doc.moveTo(50, y + height + 3).lineTo(50 + columns.reduce((a, c) => a + c.width, 0), y + height + 3).lineWidth(0.5).strokeColor('#b1b4b6').stroke();
      doc.x = 50;
      doc.y = y + height + 5;
    };
    draw(columns.map((c) => c.label), true);
    rows.forEach((r) => draw(r, false));
    doc.moveDown(0.5);
  };
  return { heading, para, table };
}

/**
 * A new A4 report PDF, tagged, titled and in English so screen readers can read it, with its layout helpers;
 * `done` resolves to the bytes once the caller has called `doc.end()`.
 */
export function reportPdf(title: string, subject: string) {
  const doc = new PDFDocument({ size: 'A4', margin: 50, tagged: true, lang: 'en-GB', displayTitle: true, pdfVersion: '1.7', info: { Title: title, Author: 'Patchwork', Subject: subject, Creator: 'Patchwork' } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  const width = doc.page.width - 100;
  return { doc, done, width, ...pdfLayout(doc, width) };
}
