import { expect } from 'chai';
import { compileTemplate, escapeAttribute, escapeText } from '../../../src/approval/email/template';

describe('email templates', () => {
  describe('escapeText', () => {
    it('escapes & < > " and \' in text content, and nothing else', () => {
      expect(escapeText(`<a href='x'>"Q&A"</a> / = \``)).to.equal('&lt;a href=&#39;x&#39;&gt;&quot;Q&amp;A&quot;&lt;/a&gt; / = `');
    });
  });

  describe('escapeAttribute', () => {
    it('leaves a URL reading as itself: / = ? \' and : stay, & becomes &amp;', () => {
      expect(escapeAttribute("https://h.example/review?r=a&v=0&a=approve&c=x'y")).to.equal("https://h.example/review?r=a&amp;v=0&amp;a=approve&amp;c=x'y");
    });

    it('escapes the double quote that would end the value, and < > so no tag appears', () => {
      expect(escapeAttribute('" onmouseover="x" <b>')).to.equal('&quot; onmouseover=&quot;x&quot; &lt;b&gt;');
    });
  });

  describe('compileTemplate', () => {
    const template = compileTemplate('<p title="{{title}}"><a href="{{url}}">{{label}}</a>{{#items}}<a href="{{href}}">{{text}}</a>{{/items}}</p>');
    const view = { title: 'Q&A "x"', url: 'https://h.example/r?a=1&b=2/3', label: '<b>&</b>', items: [{ href: '/x?y=1&z', text: "it's" }] };

    it('escapes each value for where it stands: attribute values (in sections too) and text', () => {
      expect(template.html(view)).to.equal(
        '<p title="Q&amp;A &quot;x&quot;"><a href="https://h.example/r?a=1&amp;b=2/3">&lt;b&gt;&amp;&lt;/b&gt;</a><a href="/x?y=1&amp;z">it&#39;s</a></p>',
      );
    });

    it('fills the same template unescaped for a plain-text part', () => {
      expect(template.text(view)).to.equal('<p title="Q&A "x""><a href="https://h.example/r?a=1&b=2/3"><b>&</b></a><a href="/x?y=1&z">it\'s</a></p>');
    });

    it('never writes &#x2F; or &#x3D; into a link', () => {
      expect(template.html(view)).to.not.include('&#x2F;').and.not.include('&#x3D;');
    });

    it('refuses, when compiled, a value inside a tag but not in a double-quoted attribute value', () => {
      expect(() => compileTemplate('<a href={{url}}>x</a>')).to.throw(/double-quoted attribute/);
      expect(() => compileTemplate("<a href='{{url}}'>x</a>")).to.throw(/double-quoted attribute/);
    });

    it('treats a value after a closed tag as text', () => {
      expect(compileTemplate('<a href="x">{{v}}</a> "{{w}}"').html({ v: '"', w: '<' })).to.equal('<a href="x">&quot;</a> "&lt;"');
    });
  });
});
