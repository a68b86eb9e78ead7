// Progressive enhancement only: every page works without this file.
import { initAll } from '__GOVUK_FRONTEND__';

document.body.classList.add('js-enabled', 'govuk-frontend-supported');
initAll();
