/* main.js: start the router once every page is registered. */
'use strict';
App.start();
