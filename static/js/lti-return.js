// Sends the signed deep-linking response to the LMS at once; without JavaScript the
// page's button does it.
document.querySelectorAll("form[data-auto-submit]").forEach((form) => form.submit());
